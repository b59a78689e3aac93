/**
 * @module Host view: every rule with status, expected vs observed evidence, references,
 * remediation, and the timeline of status changes. With `asOf` in the route, the rules as they
 * stood at that instant.
 */
import { api, query, type Paged, type StatusChange, type StoredResult } from '../api.js';
import { enc, html, mount, onlineBadge, severity, statusBadge, when } from '../dom.js';
import { setParams, type Route } from '../router.js';
import { pager, wirePagers } from './pager.js';
import { asOfBar, asOfOf, wireAsOf } from '../as-of.js';

interface HostDetail {
  host: { agentId: string; hostname: string; agency: string; os: string | null; agentVersion: string | null; lastSeenAt: string | null; lastScanAt: string | null; online?: boolean; revoked: boolean; exposure?: 'internet' | 'internal' | 'unset'; delivery: { maxSeq: number; received: number; missing: number; complete: boolean }; packs: Array<{ id: string; version: string; sha256: string }> };
  gaps: Array<{ from: number; to: number }>;
}

const PAGE = 100;

/** Renders the host; returns its agency and hostname for the breadcrumbs. */
export async function renderHost(main: HTMLElement, route: Route): Promise<{ agency: string; hostname: string }> {
  const id = route.id!;
  const p = route.params;
  const asOf = asOfOf(route);
  const [detail, results, history] = await Promise.all([
    api<HostDetail>(`/api/v1/hosts/${enc(id)}`),
    api<Paged<StoredResult>>(`/api/v1/hosts/${enc(id)}/results${query({ limit: PAGE, offset: p.get('resultsOffset'), status: p.get('status'), severity: p.get('severity'), directive: p.get('directive'), q: p.get('q'), asOf })}`),
    api<Paged<StatusChange>>(`/api/v1/hosts/${enc(id)}/history${query({ limit: 50 })}`),
  ]);
  const h = detail.host;
  const rows = results.items.map((r) => {
    const b = r.result;
    const refs = b.references ?? {};
    return html`<tr id="rule-${r.ruleId}" data-rule="${r.ruleId}" data-status="${r.status}">
      <td>${statusBadge(r.status)}${r.waived ? html` <span class="badge waived">WAIVED</span>` : ''}</td><td>${severity(r.severity)}</td>
      <th scope="row"><a href="#/rule/${enc(r.ruleId)}?agency=${enc(h.agency)}">${r.ruleId}</a><div class="muted">${b.title ?? ''}</div></th>
      <td><details ${r.status === 'fail' || r.status === 'error' ? 'open' : ''}><summary>Evidence</summary>
        <dl><dt>Expected</dt><dd><code>${b.expected ?? ''}</code></dd><dt>Observed</dt><dd><code>${b.observed ?? ''}</code></dd>
        ${b.error ? html`<dt>Error</dt><dd><code>${b.error.code}</code> ${b.error.message}</dd>` : ''}
        ${b.reason ? html`<dt>Why not applicable</dt><dd>${b.reason}</dd>` : ''}
        <dt>Collected</dt><dd>${when(r.scannedAt)}${r.scanId ? ` (scan ${r.scanId}, seq ${r.seq})` : ''}</dd>
        <dt>References</dt><dd>${Object.entries(refs).filter(([, v]) => v.length).map(([k, v]) => html`<div><b>${k}</b>: ${v.join(', ')}</div>`)}</dd>
        ${r.status === 'fail' ? html`<dt>Remediation</dt><dd>${b.remediation ?? ''}</dd>` : ''}
        </dl><details><summary>Raw evidence</summary><pre>${JSON.stringify(b.evidence ?? [], null, 2)}</pre></details></details></td>
    </tr>`;
  });
  const timeline = history.items.map((c) => html`<li>${when(c.at)} — <a href="#/host/${enc(id)}#rule-${c.ruleId}">${c.ruleId}</a>: ${c.from ? statusBadge(c.from) : html`<span class="muted">new</span>`} → ${statusBadge(c.to)}</li>`);
  mount(
    main,
    html`<h1>${h.hostname} ${onlineBadge(Boolean(h.online))} ${h.revoked ? html`<span class="badge fail">revoked</span>` : ''}</h1>
    <p class="muted">Agency <a href="#/agency/${enc(h.agency)}">${h.agency}</a> · ${h.os ?? 'unknown OS'} · agent ${h.agentVersion ?? '?'} · last scan ${when(h.lastScanAt)} · last seen ${when(h.lastSeenAt)}${h.exposure ? ` · exposure ${h.exposure === 'unset' ? 'unset (treated as internet-exposed)' : h.exposure}` : ''}</p>
    <p>Delivery: ${h.delivery.complete ? html`✓ complete — all ${h.delivery.maxSeq} result frames received, no gaps` : html`<span class="badge fail">${h.delivery.missing} frames missing</span> (${detail.gaps.map((g) => `${g.from}–${g.to}`).join(', ')})`}.
    Packs: ${h.packs.map((pk) => html`<code>${pk.id}@${pk.version}</code> <span class="muted">sha256:${pk.sha256.slice(0, 12)}</span> `)}</p>
    ${asOfBar(asOf)}
    <form class="filters" id="result-filters">
      <label>Status<select name="status">${['', 'fail', 'error', 'pass', 'not-applicable'].map((s) => html`<option value="${s}" ${(p.get('status') ?? '') === s ? 'selected' : ''}>${s || 'any'}</option>`)}</select></label>
      <label>Severity<select name="severity">${['', 'critical', 'high', 'medium', 'low'].map((s) => html`<option value="${s}" ${(p.get('severity') ?? '') === s ? 'selected' : ''}>${s || 'any'}</option>`)}</select></label>
      <label>Directive<input name="directive" value="${p.get('directive') ?? ''}" placeholder="e.g. BOD-23-02"></label>
      <label>Search<input name="q" value="${p.get('q') ?? ''}" placeholder="rule id or title"></label>
      <button type="submit">Apply filters</button>
    </form>
    ${rows.length ? html`<table class="results"><caption>Rules on this host${asOf ? ' as they stood then' : ''} (failures first)</caption><thead><tr><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Evidence</th></tr></thead><tbody>${rows}</tbody></table>` : html`<div class="empty">No results match. A host shows results after its first scan is delivered.</div>`}
    ${pager('results', results)}
    <h2>Timeline of changes</h2>
    ${timeline.length ? html`<ol>${timeline}</ol>` : html`<div class="empty">No status changes recorded yet.</div>`}`,
  );
  main.querySelector<HTMLFormElement>('#result-filters')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setParams(route, { status: String(f.get('status') ?? ''), severity: String(f.get('severity') ?? ''), directive: String(f.get('directive') ?? ''), q: String(f.get('q') ?? ''), resultsOffset: null });
  });
  wirePagers(main, (param, offset) => setParams(route, { [param]: offset }));
  wireAsOf(main, route);
  return { agency: h.agency, hostname: h.hostname };
}
