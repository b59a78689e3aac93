/**
 * @module A tiny inline SVG trend line (no chart library: the dashboard works air-gapped).
 */
import { html, type Safe } from './dom.js';

export function trendLine(points: Array<{ day: string; score: number | null }>, label: string): Safe {
  const known = points.filter((p) => p.score !== null) as Array<{ day: string; score: number }>;
  if (known.length < 2) return html`<span class="muted">not enough history yet</span>`;
  const w = 200;
  const h = 46;
  const step = w / (known.length - 1);
  // Scale to the data (at least a 10-point band), so a few points of progress are visible.
  const scores = known.map((p) => p.score);
  const mid = (Math.min(...scores) + Math.max(...scores)) / 2;
  const half = Math.max(5, (Math.max(...scores) - Math.min(...scores)) / 2 + 1);
  const lo = Math.max(0, Math.min(100 - 2 * half, mid - half));
  const hi = Math.min(100, lo + 2 * half);
  const y = (v: number) => (h - 3 - ((v - lo) / (hi - lo)) * (h - 6)).toFixed(1);
  const coords = known.map((p, i) => `${(i * step).toFixed(1)},${y(p.score)}`).join(' ');
  const first = known[0]!;
  const last = known[known.length - 1]!;
  const text = `${label}: ${first.score} on ${first.day} to ${last.score} on ${last.day}`;
  return html`<span class="trend-cell"><svg class="trend" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label="${text}"><title>${text}</title><polyline points="${coords}"></polyline></svg><span class="trend-range" aria-hidden="true">${Math.round(lo)}–${Math.round(hi)}</span></span>`;
}
