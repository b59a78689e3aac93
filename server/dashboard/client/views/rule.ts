/**
 * @module Rule view: which hosts fail a rule and since when.
 */
import { api, query, type Paged, type RuleHost } from '../api.js';
import { enc, html, mount, statusBadge, when } from '../dom.js';
import { setParams, type Route } from '../router.js';
import { pager, wirePagers } from './pager.js';

export async function renderRule(main: HTMLElement, route: Route): Promise<void> {
  const ruleId = route.id!;
  const p = route.params;
  const status = p.get('status') ?? 'fail';
  const page = await api<Paged<RuleHost> & { rule?: { title: string; severity: string; remediation: string } }>(
    `/api/v1/rules/${enc(ruleId)}/hosts${query({ agency: p.get('agency'), status, limit: 100, offset: p.get('hostsOffset') })}`,
  );
  const rows = page.items.map(
    (h) => html`<tr><th scope="row"><a href="#/host/${enc(h.agentId)}#rule-${ruleId}">${h.hostname}</a></th><td><a href="#/agency/${enc(h.agency)}">${h.agency}</a></td><td>${statusBadge(h.status)}</td><td>${when(h.since)}</td></tr>`,
  );
  mount(
    main,
    html`<h1>${ruleId}</h1>
    ${page.rule ? html`<p>${page.rule.title} — <span class="sev ${page.rule.severity}">${page.rule.severity}</span></p><p><b>Remediation:</b> ${page.rule.remediation}</p>` : ''}
    <form class="filters" id="rule-filters"><label>Status<select name="status">${['fail', 'error', 'pass', 'not-applicable'].map((s) => html`<option ${status === s ? 'selected' : ''}>${s}</option>`)}</select></label><button type="submit">Show</button></form>
    ${rows.length ? html`<table><caption>Hosts with status ${status}${p.get('agency') ? ` in ${p.get('agency')}` : ''}, longest-standing first</caption><thead><tr><th scope="col">Host</th><th scope="col">Agency</th><th scope="col">Status</th><th scope="col">Since</th></tr></thead><tbody>${rows}</tbody></table>` : html`<div class="empty">No host has status ${status} for this rule.</div>`}
    ${pager('hosts', page)}`,
  );
  main.querySelector<HTMLFormElement>('#rule-filters')!.addEventListener('submit', (e) => {
    e.preventDefault();
    setParams(route, { status: String(new FormData(e.target as HTMLFormElement).get('status') ?? 'fail'), hostsOffset: null });
  });
  wirePagers(main, (param, offset) => setParams(route, { [param]: offset }));
}
