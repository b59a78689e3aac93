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
  const coords = known.map((p, i) => `${(i * step).toFixed(1)},${(h - 3 - (p.score / 100) * (h - 6)).toFixed(1)}`).join(' ');
  const first = known[0]!;
  const last = known[known.length - 1]!;
  const text = `${label}: ${first.score} on ${first.day} to ${last.score} on ${last.day}`;
  return html`<svg class="trend" viewBox="0 0 ${w} ${h}" role="img" aria-label="${text}"><title>${text}</title><polyline points="${coords}"></polyline></svg>`;
}
