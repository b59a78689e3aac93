/**
 * @module The agency view's waivers panel: the waivers that count now (rule, hosts, accepted risk,
 * approver, expiry, justification), and for admins a form to add one and a button to remove one
 * (the API records the admin in the audit log). Other roles see the list only.
 */
import { api, ApiError, type Me } from './api.js';
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
      <td>${w.risk}</td><td>${w.approver}</td><td>${when(w.expiresAt)}</td><td>${w.justification}</td>
      <td data-admin-only hidden><button type="button" data-waiver-remove="${w.id}">Remove</button></td></tr>`,
  );
  return html`<h2 id="waivers">Active waivers</h2>
    ${
      rows.length
        ? html`<table><caption>A waived failure counts as waived, not failed, until the waiver expires</caption><thead><tr><th scope="col">Waiver</th><th scope="col">Rule</th><th scope="col">Hosts</th><th scope="col">Accepted risk</th><th scope="col">Approver</th><th scope="col">Expires</th><th scope="col">Justification</th><th scope="col" data-admin-only hidden>Actions</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<div class="empty">No active waiver. Add one with <code>rampart server waiver add</code>.</div>`
    }
    <details data-admin-only hidden><summary>Add a waiver</summary>
      <form class="filters" data-waiver-form data-agency="${agency}">
        <label>Rule<input name="ruleId" required placeholder="linux.ssh.root-login-disabled"></label>
        <label>Hosts<input name="hosts" placeholder="web-1, web-2 (empty: every host)"></label>
        <label>Justification<input name="justification" required minlength="10"></label>
        <label>Approver<input name="approver" required></label>
        <label>Accepted risk<select name="risk">${['low', 'medium', 'high', 'critical'].map((r) => html`<option>${r}</option>`)}</select></label>
        <label>Expires<input name="expires" type="date" required></label>
        <button type="submit">Add waiver</button>
      </form>
    </details>
    <p class="muted" data-waiver-status aria-live="polite"></p>`;
}

/** A waiver form as the API body: hosts split on commas, the expiry date as UTC midnight. */
export function waiverBody(form: { ruleId: string; hosts: string; justification: string; approver: string; risk: string; expires: string }): Record<string, unknown> {
  return {
    ruleId: form.ruleId.trim(),
    hosts: form.hosts.split(',').map((h) => h.trim()).filter(Boolean),
    justification: form.justification.trim(),
    approver: form.approver.trim(),
    risk: form.risk,
    expiresAt: `${form.expires}T00:00:00Z`,
  };
}

/** Show the admin controls to admins and wire them; `refresh` re-renders the view after a change. */
export async function wireWaiverActions(root: HTMLElement, agency: string, refresh: () => void): Promise<void> {
  const status = root.querySelector<HTMLElement>('[data-waiver-status]');
  const say = (text: string) => {
    if (status) status.textContent = text;
  };
  const me = await api<Me>('/api/v1/me').catch(() => null);
  if (me?.role !== 'admin') return;
  root.querySelectorAll<HTMLElement>('[data-admin-only]').forEach((el) => (el.hidden = false));
  const failed = (err: unknown) => say(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
  root.querySelector<HTMLFormElement>('form[data-waiver-form]')?.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const get = (k: string) => String(f.get(k) ?? '');
    try {
      const w = await api<{ id: string }>(`/api/v1/agencies/${enc(agency)}/waivers`, {
        method: 'POST',
        body: JSON.stringify(waiverBody({ ruleId: get('ruleId'), hosts: get('hosts'), justification: get('justification'), approver: get('approver'), risk: get('risk'), expires: get('expires') })),
      });
      say(`Waiver ${w.id} added.`);
      refresh();
    } catch (err) {
      failed(err);
    }
  });
  root.querySelectorAll<HTMLButtonElement>('button[data-waiver-remove]').forEach((button) => {
    button.addEventListener('click', async () => {
      const id = button.dataset.waiverRemove!;
      button.disabled = true;
      try {
        await api(`/api/v1/waivers/${enc(id)}`, { method: 'DELETE', body: JSON.stringify({ reason: 'removed from the dashboard' }) });
        say(`Waiver ${id} removed.`);
        refresh();
      } catch (err) {
        button.disabled = false;
        failed(err);
      }
    });
  });
}
