/**
 * @module Hash routes of the dashboard: #/ (federal overview), #/agency/NAME, #/host/ID,
 * #/rule/RULE_ID, #/signin. Query parameters after `?` carry filters.
 */

export interface Route {
  view: 'overview' | 'agency' | 'host' | 'rule' | 'signin' | 'help';
  id?: string;
  params: URLSearchParams;
  /** An element to scroll to after rendering: `#/host/ID#rule-X` (a second `#` in the hash). */
  anchor?: string;
}

export function parseRoute(hash: string): Route {
  const [route = '', anchor] = hash.replace(/^#/, '').split('#');
  const [pathPart = '', queryPart = ''] = route.split('?');
  const params = new URLSearchParams(queryPart);
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, id] = parts;
  if (head === 'agency' && id) return { view: 'agency', id, params };
  if (head === 'host' && id) return { view: 'host', id, params, anchor };
  if (head === 'rule' && id) return { view: 'rule', id, params };
  if (head === 'signin') return { view: 'signin', params };
  if (head === 'help') return { view: 'help', params };
  return { view: 'overview', params };
}

/** Change one filter in the current route and navigate (adds a history entry). */
export function setParams(route: Route, changes: Record<string, string | null>): void {
  const params = new URLSearchParams(route.params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === '') params.delete(k);
    else params.set(k, v);
  }
  const base = location.hash.replace(/^#/, '').split(/[?#]/)[0] || '/';
  const q = params.toString();
  location.hash = `#${base}${q ? `?${q}` : ''}`;
}
