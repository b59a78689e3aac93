/**
 * @module Federal overview: every agency (and component) the user may see, with posture score,
 * hosts online/total, overdue findings and a trend; or all of it as of a past date (`asOf`).
 */
import { api, query, type OverviewAgency } from '../api.js';
import { asOfBar, asOfOf, wireAsOf } from '../as-of.js';
import { trendLine } from '../chart.js';
import { enc, html, mount } from '../dom.js';
import type { Route } from '../router.js';

export async function renderOverview(main: HTMLElement, route: Route): Promise<void> {
  const asOf = asOfOf(route);
  const { agencies, federal } = await api<{ agencies: OverviewAgency[]; federal: Omit<OverviewAgency, 'name' | 'parentName'> | null }>(`/api/v1/overview${query({ asOf })}`);
  const online = (n: number | null) => (n === null ? '—' : String(n));
  const link = (name: string) => `#/agency/${enc(name)}${asOf ? `?asOf=${enc(asOf)}` : ''}`;
  const q = (route.params.get('q') ?? '').toLowerCase();
  const shown = agencies.filter((a) => !q || a.name.toLowerCase().includes(q) || (a.parentName ?? '').toLowerCase().includes(q));
  const rows = shown.map(
    (a) => html`<tr data-agency="${a.name}">
      <th scope="row">${a.parentName ? html`<span class="muted">${a.parentName} › </span>` : ''}<a href="${link(a.name)}">${a.name}</a></th>
      <td data-col="score">${a.score === null ? html`<span class="muted">no data</span>` : `${a.score}`}</td>
      <td data-col="hosts">${online(a.hosts.online)} / ${a.hosts.total}</td>
      <td data-col="overdue">${a.findings.overdue > 0 ? html`<span class="badge overdue">${a.findings.overdue} overdue</span>` : '0'}</td>
      <td data-col="open">${a.findings.open}</td>
      <td>${trendLine(a.trend, `Score trend for ${a.name}`)}</td>
    </tr>`,
  );
  mount(
    main,
    html`<h1>Federal overview</h1>
    ${
      federal
        ? html`<section class="kpis" aria-label="Federal totals (every agency and component, each host once)">
      <div class="kpi"><span>Federal score</span><b>${federal.score ?? '—'}</b></div>
      <div class="kpi"><span>Hosts online / total</span><b>${online(federal.hosts.online)} / ${federal.hosts.total}</b></div>
      <div class="kpi"><span>Overdue findings</span><b>${federal.findings.overdue}</b></div>
      <div class="kpi"><span>Open findings</span><b>${federal.findings.open}</b></div>
      <div class="kpi kpi-trend"><span>Trend (30 days)</span>${trendLine(federal.trend, 'Federal score trend')}</div>
    </section>`
        : ''
    }
    ${asOfBar(asOf)}
    <form class="filters" role="search" id="overview-filter">
      <label>Search agencies<input name="q" value="${route.params.get('q') ?? ''}" placeholder="agency or component"></label>
      <button type="submit">Filter</button>
    </form>
    ${
      shown.length === 0
        ? html`<div class="empty">${agencies.length === 0 ? 'No agencies yet. An administrator adds one with `rampart server agency add NAME`.' : 'No agency matches this search.'}</div>`
        : html`<table>
      <caption>Posture by agency (score: severity-weighted share of passing checks, 0–100)</caption>
      <thead><tr><th scope="col">Agency</th><th scope="col">Score</th><th scope="col">Hosts online / total</th><th scope="col">Overdue findings</th><th scope="col">Open findings</th><th scope="col">Trend (30 days)</th></tr></thead>
      <tbody>${rows}</tbody></table>`
    }`,
  );
  main.querySelector<HTMLFormElement>('#overview-filter')!.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = new FormData(e.target as HTMLFormElement).get('q');
    location.hash = `#/${query({ q: value ? String(value) : undefined, asOf })}`;
  });
  wireAsOf(main, route);
}
