/**
 * @module "As of" control of the agency and host pages: pick a past date and time, and the page is
 * rebuilt from the status history as it stood then (the API's `?asOf=`); live updates leave it alone
 * until "Back to live". The instant travels in the route as `asOf=<ISO>`.
 */
import { html, type Safe } from './dom.js';
import { setParams, type Route } from './router.js';

/** The route's as-of instant (ISO, UTC), or undefined for the live view. */
export function asOfOf(route: Route): string | undefined {
  const v = route.params.get('asOf');
  return v && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v)).toISOString() : undefined;
}

/** `2026-11-20T12:00:00.000Z` as a datetime-local value in the browser's time zone (to the second). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A datetime-local value (browser time zone) as an ISO instant, or undefined when empty or unreadable. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The form, and the banner when a past instant is shown; wire with wireAsOf after mounting. */
export function asOfBar(asOf: string | undefined): Safe {
  return html`<form class="filters as-of" id="as-of-form" aria-label="Show as of a past date">
      <label>As of (your time zone)<input type="datetime-local" step="1" name="asOf" value="${asOf ? toLocalInput(asOf) : ''}" max="${toLocalInput(new Date().toISOString())}"></label>
      <button type="submit">Show as of this date</button>
      ${asOf ? html`<button type="button" id="as-of-live">Back to live</button>` : ''}
    </form>
    ${asOf
      ? html`<div class="as-of-banner" role="status">Showing this page as it stood at <b>${asOf.replace('T', ' ').slice(0, 19)} UTC</b>, rebuilt from the status history. Live updates are paused; online status and delivery are live-only and not shown.</div>`
      : ''}`;
}

export function wireAsOf(root: HTMLElement, route: Route): void {
  const form = root.querySelector<HTMLFormElement>('#as-of-form');
  form?.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = String(new FormData(form).get('asOf') ?? '');
    setParams(route, { asOf: fromLocalInput(value) ?? null, hostsOffset: null, findingsOffset: null, resultsOffset: null });
  });
  root.querySelector<HTMLButtonElement>('#as-of-live')?.addEventListener('click', () => setParams(route, { asOf: null, hostsOffset: null, findingsOffset: null, resultsOffset: null }));
}
