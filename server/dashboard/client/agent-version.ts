/**
 * @module Which agents are outdated: older than the collector's own release (`latestAgentVersion`
 * from /api/v1/me). Versions compare numerically part by part (0.10.0 is newer than 0.9.3).
 */
import { html, type Safe } from './dom.js';

export function olderThan(version: string, latest: string): boolean {
  const a = version.split(/[.+-]/).map((x) => Number.parseInt(x, 10));
  const b = latest.split(/[.+-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = Number.isFinite(a[i]) ? a[i]! : 0;
    const y = Number.isFinite(b[i]) ? b[i]! : 0;
    if (x !== y) return x < y;
  }
  return false;
}

/** The agent version cell: the version, plus an "outdated" badge (text, not colour alone). */
export function agentVersionCell(version: string | null, latest: string | undefined): Safe {
  if (!version) return html`<span class="muted">unknown</span>`;
  if (latest && olderThan(version, latest)) return html`${version} <span class="badge fail" title="latest is ${latest}">outdated (latest ${latest})</span>`;
  return html`${version}`;
}
