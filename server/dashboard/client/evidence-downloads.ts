/**
 * @module Evidence download buttons for an agency (OSCAL, CSV, HTML report): the API needs the bearer
 * token, so a click fetches the document and saves it through a temporary object URL.
 */
import { ApiError, getToken } from './api.js';
import { enc, html, type Safe } from './dom.js';

export const EVIDENCE_FORMATS = [
  { format: 'oscal', label: 'OSCAL assessment results' },
  { format: 'csv', label: 'Findings CSV' },
  { format: 'html', label: 'Printable report' },
] as const;

export function evidenceUrl(agency: string, format: string, asOf?: string): string {
  return `/api/v1/agencies/${enc(agency)}/evidence?format=${enc(format)}${asOf ? `&asOf=${enc(asOf)}` : ''}`;
}

/** The buttons (the documents as of `asOf` when given); wire them with wireEvidenceDownloads after mounting. */
export function evidenceDownloads(agency: string, asOf?: string): Safe {
  return html`<div class="evidence-downloads" role="group" aria-label="Download evidence">
    <span class="muted">Evidence${asOf ? ' as of this date' : ''}:</span>
    ${EVIDENCE_FORMATS.map((f) => html`<button type="button" data-evidence-format="${f.format}" data-agency="${agency}" data-as-of="${asOf ?? ''}">${f.label}</button>`)}
    <span class="muted" data-evidence-status aria-live="polite"></span>
  </div>`;
}

function filenameOf(res: Response, fallback: string): string {
  const m = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '');
  return m?.[1] ?? fallback;
}

export function wireEvidenceDownloads(root: HTMLElement): void {
  const status = root.querySelector<HTMLElement>('[data-evidence-status]');
  root.querySelectorAll<HTMLButtonElement>('button[data-evidence-format]').forEach((button) => {
    button.addEventListener('click', async () => {
      const format = button.dataset.evidenceFormat!;
      const agency = button.dataset.agency!;
      button.disabled = true;
      if (status) status.textContent = 'Preparing…';
      try {
        const token = getToken();
        const res = await fetch(evidenceUrl(agency, format, button.dataset.asOf || undefined), { headers: token ? { authorization: `Bearer ${token}` } : {} });
        if (!res.ok) {
          const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
          throw new ApiError(res.status, body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText);
        }
        const url = URL.createObjectURL(await res.blob());
        const a = document.createElement('a');
        a.href = url;
        a.download = filenameOf(res, `rampart-${agency}.${format === 'oscal' ? 'oscal.json' : format}`);
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        if (status) status.textContent = `Downloaded ${a.download}`;
      } catch (err) {
        if (status) status.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
      } finally {
        button.disabled = false;
      }
    });
  });
}
