/**
 * @module Safe HTML building for the dashboard: every interpolated value is escaped unless it
 * is already a `Safe` fragment produced by `html` itself.
 */

export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function render(v: unknown): string {
  if (v instanceof Safe) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** Tagged template: `html\`<td>${name}</td>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Safe(out);
}

export function mount(el: HTMLElement, content: Safe): void {
  el.innerHTML = content.value;
}

const STATUS_TEXT: Record<string, string> = { pass: '✓ PASS', fail: '✗ FAIL', error: '! ERROR', 'not-applicable': '– N/A' };

/** Status as text and symbol, coloured as a hint only. */
export function statusBadge(status: string): Safe {
  return html`<span class="badge ${status}">${STATUS_TEXT[status] ?? status}</span>`;
}

export function onlineBadge(online: boolean): Safe {
  return online ? html`<span class="badge online">● online</span>` : html`<span class="badge offline">○ offline</span>`;
}

export function severity(sev: string): Safe {
  return html`<span class="sev ${sev}">${sev}</span>`;
}

export function when(iso: string | null | undefined): Safe {
  if (!iso) return html`<span class="muted">never</span>`;
  const d = new Date(iso);
  return html`<time datetime="${iso}" title="${iso}">${d.toISOString().replace('T', ' ').slice(0, 16)} UTC</time>`;
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}
