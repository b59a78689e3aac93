/**
 * @module The agency view's waivers panel: the waivers that count now (rule, hosts, accepted risk,
 * approver, expiry, justification). Changes go through `rampart server waiver` or the API (admins).
 */
import { enc, html, when, type Safe } from './dom.js';

/** A waiver as GET /api/v1/agencies/:agency/waivers returns it (docs/waivers.md). */
export interface WaiverView {
  id: string;
  ruleId: string;
  scope: 'host' | 'host-set' | 'agency';
  hosts: Array<{ agentId: string; hostname: string }>;
  justification: string;
  approver: string;
  risk: string;
  startsAt: string;
  expiresAt: string;
  state: string;
}

export function waiversPanel(agency: string, waivers: readonly WaiverView[]): Safe {
  const rows = waivers.map(
    (w) => html`<tr><th scope="row">${w.id}</th><td><a href="#/rule/${enc(w.ruleId)}?agency=${enc(agency)}">${w.ruleId}</a></td>
      <td>${w.scope === 'agency' ? html`<span class="muted">every host</span>` : w.hosts.map((h, i) => html`${i ? ', ' : ''}<a href="#/host/${enc(h.agentId)}">${h.hostname}</a>`)}</td>
      <td>${w.risk}</td><td>${w.approver}</td><td>${when(w.expiresAt)}</td><td>${w.justification}</td></tr>`,
  );
  return html`<h2 id="waivers">Active waivers</h2>
    ${
      rows.length
        ? html`<table><caption>A waived failure counts as waived, not failed, until the waiver expires</caption><thead><tr><th scope="col">Waiver</th><th scope="col">Rule</th><th scope="col">Hosts</th><th scope="col">Accepted risk</th><th scope="col">Approver</th><th scope="col">Expires</th><th scope="col">Justification</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<div class="empty">No active waiver. Add one with <code>rampart server waiver add</code>.</div>`
    }`;
}
