/**
 * @module Agency view: compliance per directive, failing rules with host counts, hosts with
 * online/offline and last scan, findings by due date (overdue first), components. With `asOf` in
 * the route, the same page as it stood at that instant (live-only columns left out).
 */
import { api, query, type Finding, type HostSummary, type Me, type Paged, type Posture } from '../api.js';
import { agentVersionCell } from '../agent-version.js';
import { enc, html, mount, onlineBadge, severity, when } from '../dom.js';
import { setParams, type Route } from '../router.js';
import { pager, wirePagers } from './pager.js';
import { evidenceDownloads, wireEvidenceDownloads } from '../evidence-downloads.js';
import { waiversPanel, wireWaiverActions, type WaiverView } from '../waivers-panel.js';
import { asOfBar, asOfOf, wireAsOf } from '../as-of.js';

const PAGE = 50;

export async function renderAgency(main: HTMLElement, route: Route): Promise<void> {
  const name = route.id!;
  const p = route.params;
  const base = `/api/v1/agencies/${enc(name)}`;
  const asOf = asOfOf(route);
  // As of a past instant: no online filter and no resolved findings (neither can be rebuilt).
  const state = asOf && p.get('state') === 'resolved' ? 'open' : (p.get('state') ?? 'open');
  const [posture, hosts, findings, waivers, me] = await Promise.all([
    api<Posture>(`${base}/posture${query({ asOf })}`),
    api<Paged<HostSummary>>(`${base}/hosts${query({ limit: PAGE, offset: p.get('hostsOffset'), q: p.get('host'), status: asOf ? undefined : p.get('online'), asOf })}`),
    api<Paged<Finding>>(
      `${base}/findings${query({ limit: PAGE, offset: p.get('findingsOffset'), state, severity: p.get('severity'), directive: p.get('directive'), q: p.get('host'), asOf })}`,
    ),
    asOf ? Promise.resolve({ items: [] as WaiverView[] }) : api<{ items: WaiverView[] }>(`${base}/waivers`).catch(() => ({ items: [] as WaiverView[] })),
    api<Me>('/api/v1/me').catch(() => undefined),
  ]);
  const directives = posture.directives.map(
    (d) => html`<tr><th scope="row">${d.directive}</th><td>${d.percent === null ? html`<span class="muted">no applicable checks</span>` : `${d.percent}%`}</td><td>${d.pass}</td><td>${d.fail}</td><td>${d.error}</td></tr>`,
  );
  const failing = posture.failingRules.map(
    (r) => html`<tr><th scope="row"><a href="#/rule/${enc(r.ruleId)}?agency=${enc(name)}">${r.ruleId}</a><div class="muted">${r.title}</div></th><td>${severity(r.severity)}</td><td>${r.failingHosts}</td><td>${r.errorHosts}</td><td>${r.directives.join(', ')}</td></tr>`,
  );
  const hostRows = hosts.items.map(
    (h) =>
      asOf
        ? html`<tr><th scope="row"><a href="#/host/${enc(h.agentId)}?asOf=${enc(asOf)}">${h.hostname}</a></th><td class="muted">—</td><td>${when(h.lastScanAt)}</td>
      <td>${h.counts.fail} fail · ${h.counts.pass} pass · ${h.counts.error} error${h.counts.waived ? ` · ${h.counts.waived} waived` : ''}</td><td class="muted">—</td><td class="muted">—</td></tr>`
        : html`<tr><th scope="row"><a href="#/host/${enc(h.agentId)}">${h.hostname}</a></th><td>${onlineBadge(Boolean(h.online))}</td><td>${when(h.lastScanAt)}</td>
      <td>${h.counts.fail} fail · ${h.counts.pass} pass · ${h.counts.error} error</td><td>${agentVersionCell(h.agentVersion, me?.latestAgentVersion)}</td>
      <td>${h.delivery!.complete ? '✓ complete' : html`<span class="badge fail">${h.delivery!.missing} missing</span>`}</td></tr>`,
  );
  const findingRows = findings.items.map(
    (f) => html`<tr><td>${f.waived ? html`<span class="badge waived">WAIVED</span>` : f.overdue ? html`<span class="badge overdue">OVERDUE</span>` : ''} ${f.dueAt === null && f.tier === 'next-upgrade' ? 'next system upgrade' : when(f.dueAt)}</td><th scope="row"><a href="#/host/${enc(f.agentId)}">${f.hostname}</a></th>
      <td><a href="#/rule/${enc(f.ruleId)}?agency=${enc(name)}">${f.ruleId}</a></td><td>${severity(f.severity)}</td><td>${f.directive ?? ''}${f.tier ? html` <span class="muted">Table 1 ${f.tier}</span>` : ''}${f.forensicTriage ? html` <span class="badge fail">FORENSIC TRIAGE</span>` : ''}</td><td>${when(f.firstSeenAt)}</td></tr>`,
  );
  const comps = posture.components ?? [];
  mount(
    main,
    html`<h1>${posture.agency.name}${posture.agency.parentName ? html` <span class="muted">(component of <a href="#/agency/${enc(posture.agency.parentName)}">${posture.agency.parentName}</a>)</span>` : ''}</h1>
    <div class="kpis">
      <div class="kpi"><span>Score</span><b>${posture.score ?? '—'}</b></div>
      ${asOf ? html`<div class="kpi"><span>Hosts</span><b>${posture.hosts.total}</b></div>` : html`<div class="kpi"><span>Hosts online / total</span><b>${posture.hosts.online ?? '?'} / ${posture.hosts.total}</b></div>`}
      <div class="kpi"><span>Failing checks</span><b>${posture.counts.fail}</b></div>
      <div class="kpi"><span>Overdue findings</span><b>${posture.findings.overdue}</b></div>
      <div class="kpi"><span>Due in ${posture.findings.dueSoonDays} days</span><b>${posture.findings.dueSoon}</b></div>
    </div>
    ${asOfBar(asOf)}
    ${evidenceDownloads(posture.agency.name, asOf)}
    ${comps.length > 0 ? html`<h2>Components</h2><ul>${comps.map((c) => html`<li><a href="#/agency/${enc(c.name)}">${c.name}</a> — score ${c.score ?? '—'}, ${c.hosts} hosts</li>`)}</ul>` : ''}
    <h2>Compliance per directive</h2>
    ${directives.length ? html`<table><thead><tr><th scope="col">Directive</th><th scope="col">Compliant</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Error</th></tr></thead><tbody>${directives}</tbody></table>` : html`<div class="empty">No results yet: once an agent reports, compliance per directive appears here.</div>`}
    <h2>Failing rules</h2>
    ${failing.length ? html`<table><thead><tr><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Hosts failing</th><th scope="col">Hosts in error</th><th scope="col">Directives</th></tr></thead><tbody>${failing}</tbody></table>` : html`<div class="empty">No rule fails on any host of this agency.</div>`}
    <h2 id="findings">Findings by due date</h2>
    <form class="filters" id="finding-filters">
      <label>Host<input name="host" value="${p.get('host') ?? ''}"></label>
      <label>Severity<select name="severity">${['', 'critical', 'high', 'medium', 'low'].map((s) => html`<option value="${s}" ${p.get('severity') === s ? 'selected' : ''}>${s || 'any'}</option>`)}</select></label>
      <label>Directive<input name="directive" value="${p.get('directive') ?? ''}" placeholder="e.g. BOD-23-02"></label>
      <label>State<select name="state">${(asOf ? ['open', 'overdue', 'all'] : ['open', 'overdue', 'resolved', 'all']).map((s) => html`<option ${state === s ? 'selected' : ''}>${s}</option>`)}</select></label>
      ${asOf ? '' : html`<label>Hosts<select name="online">${[['', 'all'], ['online', 'online'], ['offline', 'offline']].map(([v, t]) => html`<option value="${v}" ${(p.get('online') ?? '') === v ? 'selected' : ''}>${t}</option>`)}</select></label>`}
      <button type="submit">Apply filters</button>
    </form>
    ${findingRows.length ? html`<table><caption>Overdue first, then by due date</caption><thead><tr><th scope="col">Due</th><th scope="col">Host</th><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Directive</th><th scope="col">First seen</th></tr></thead><tbody>${findingRows}</tbody></table>` : html`<div class="empty">No findings match.</div>`}
    ${pager('findings', findings)}
    ${asOf ? '' : waiversPanel(posture.agency.name, waivers.items)}
    <h2 id="hosts">Hosts</h2>
    ${hostRows.length ? html`<table><thead><tr><th scope="col">Host</th><th scope="col">Status</th><th scope="col">Last scan</th><th scope="col">Checks</th><th scope="col">Agent</th><th scope="col">Delivery</th></tr></thead><tbody>${hostRows}</tbody></table>` : html`<div class="empty">No hosts match. Enroll one with <code>rampart agent enroll</code>.</div>`}
    ${pager('hosts', hosts)}`,
  );
  main.querySelector<HTMLFormElement>('#finding-filters')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setParams(route, {
      host: String(f.get('host') ?? ''),
      severity: String(f.get('severity') ?? ''),
      directive: String(f.get('directive') ?? ''),
      state: String(f.get('state') ?? ''),
      online: String(f.get('online') ?? ''),
      findingsOffset: null,
      hostsOffset: null,
    });
  });
  wirePagers(main, (param, offset) => setParams(route, { [param]: offset }));
  wireEvidenceDownloads(main);
  wireAsOf(main, route);
  if (asOf) return;
  void wireWaiverActions(main, posture.agency.name, () => window.dispatchEvent(new HashChangeEvent('hashchange')));
}
