/**
 * @module Dashboard entry: sign-in, routing, breadcrumbs, live updates and error display.
 */
import { ApiError, api, getToken, setToken, type Me } from './api.js';
import { enc, html, mount } from './dom.js';
import { connectLive, type LiveEvent } from './live.js';
import { parseRoute, type Route } from './router.js';
import { renderAgency } from './views/agency.js';
import { renderHost } from './views/host.js';
import { renderOverview } from './views/overview.js';
import { renderRule } from './views/rule.js';
import { renderSignin } from './views/signin.js';

const main = document.getElementById('main')!;
const crumbs = document.getElementById('crumbs')!;
const session = document.getElementById('session')!;
const liveStatus = document.getElementById('live-status')!;
let me: Me | null = null;
let stopLive: (() => void) | null = null;
let current: Route = parseRoute(location.hash);
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let lastRefresh = 0;

function renderCrumbs(route: Route, host?: { agency: string; hostname: string }): void {
  const items = [html`<li><a href="#/">Federal overview</a></li>`];
  if (route.view === 'agency') items.push(html`<li aria-current="page">${route.id}</li>`);
  if (route.view === 'host' && host) items.push(html`<li><a href="#/agency/${enc(host.agency)}">${host.agency}</a></li><li aria-current="page">${host.hostname}</li>`);
  else if (route.view === 'host') items.push(html`<li aria-current="page">Host ${route.id}</li>`);
  if (route.view === 'rule') {
    const agency = route.params.get('agency');
    if (agency) items.push(html`<li><a href="#/agency/${enc(agency)}">${agency}</a></li>`);
    items.push(html`<li aria-current="page">${route.id}</li>`);
  }
  mount(crumbs, html`<ol>${items}</ol>`);
}

function renderSession(): void {
  if (!me) {
    mount(session, html``);
    return;
  }
  mount(session, html`<span>${me.name} · ${me.role}${me.agency ? ` · ${me.agency}` : ''}</span><button type="button" id="signout">Sign out</button>`);
  session.querySelector('#signout')!.addEventListener('click', () => {
    setToken(null);
    me = null;
    stopLive?.();
    stopLive = null;
    location.hash = '#/signin';
    void show();
  });
}

async function show(options: { quiet?: boolean } = {}): Promise<void> {
  current = parseRoute(location.hash);
  if (!getToken() || current.view === 'signin') {
    renderSession();
    mount(crumbs, html``);
    renderSignin(main);
    return;
  }
  // Who am I and the view's data are fetched together (one round-trip less before anything shows).
  const mePromise = me ? Promise.resolve(me) : api<Me>('/api/v1/me');
  mePromise.catch(() => {}); // reported through the view's own failure below
  try {
    if (current.view === 'overview' && !me) {
      me = await mePromise;
      renderSession();
    }
    // Agency viewers land on their own agency.
    if (current.view === 'overview' && me?.role === 'agency-viewer' && me.agency) {
      location.replace(`#/agency/${enc(me.agency)}`);
      return;
    }
    renderCrumbs(current);
    const scrollY = window.scrollY;
    const view =
      current.view === 'agency'
        ? renderAgency(main, current)
        : current.view === 'host'
          ? renderHost(main, current)
          : current.view === 'rule'
            ? renderRule(main, current)
            : current.view === 'help'
              ? Promise.resolve(
                  mount(main, html`<h1>Help</h1><p>Status is shown as text and symbol: ✓ PASS, ✗ FAIL, ! ERROR (could not be checked; never counted as passing), – N/A. Findings are due by the directive clock of the rule (for example 14 days under BOD 23-02). Every page can be filtered with the forms above its tables, and every list is paged on the server.</p>`),
                )
              : renderOverview(main, current);
    const [who, shown] = await Promise.all([mePromise, view]);
    if (current.view === 'host' && shown) renderCrumbs(current, shown);
    if (!me) {
      me = who;
      renderSession();
    }
    // Live updates start once the first view is on screen (the ticket request does not compete with it).
    if (!stopLive) stopLive = connectLive(onLive, (t) => (liveStatus.textContent = t));
    if (options.quiet) window.scrollTo(0, scrollY);
    else {
      // A new page starts at its top (an in-page #rule-… anchor is honoured by the host view).
      const target = current.anchor ? document.getElementById(current.anchor) : null;
      if (target) target.scrollIntoView({ block: 'start' });
      else window.scrollTo(0, 0);
      main.focus({ preventScroll: true });
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setToken(null);
      me = null;
      renderSignin(main, 'Your session ended or the token was revoked. Sign in again.');
      return;
    }
    const e = err as ApiError;
    if (!me) {
      mePromise.then(
        (m) => {
          me = m;
          renderSession();
        },
        () => {},
      );
    }
    mount(
      main,
      html`<h1>Cannot show this page</h1><div class="alert" role="alert">${e.status === 403 || e.status === 404 ? 'This page does not exist or you do not have access to it.' : e.message}${e.code ? html` <code>${e.code}</code>` : ''}</div><p><a href="#/">Back to the overview</a></p>`,
    );
  }
}

function onLive(e: LiveEvent): void {
  const v = current;
  const relevant =
    v.view === 'overview' ||
    // An agency view rolls up its components, which it links to.
    (v.view === 'agency' && (v.id === e.agency || main.querySelector(`a[href="#/agency/${enc(e.agency)}"]`) !== null)) ||
    (v.view === 'host' && (v.id === e.agentId || v.id === e.hostname)) ||
    // A summary event (many changes in one scan) carries no rule id: it may concern this rule.
    (v.view === 'rule' && (v.id === e.ruleId || (e.type === 'result' && !e.ruleId)));
  if (e.type === 'result') {
    liveStatus.textContent = e.hostname
      ? `Live: ${e.hostname} reported ${e.ruleId ?? `${e.changes ?? 'several'} changes`} ${e.ruleId ? (e.status ?? '').toUpperCase() : ''} at ${e.at.slice(11, 19)} UTC`
      : `Live: ${e.changes ?? 'several'} changes in ${e.agency} at ${e.at.slice(11, 19)} UTC`;
  } else if (e.type === 'host') liveStatus.textContent = `Live: ${e.hostname ?? e.agentId} went ${e.online ? 'online' : 'offline'} at ${e.at.slice(11, 19)} UTC`;
  // A page shown as of a past date does not change with live results.
  if (!relevant || v.params.has('asOf')) return;
  // Coalesce bursts: the first event refreshes at once, later ones within 250 ms of a refresh are
  // folded into one refresh at the end of that window, so a flood of results does not thrash the page.
  if (refreshTimer) return;
  const wait = Math.max(0, lastRefresh + 250 - Date.now());
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    lastRefresh = Date.now();
    void show({ quiet: true }).then(() => main.classList.add('flash'));
    setTimeout(() => main.classList.remove('flash'), 1200);
  }, wait);
}

// The skip link moves focus to the content without touching the hash (the hash is the route).
document.querySelector<HTMLAnchorElement>('a.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => void show());
window.addEventListener('rampart:signed-in', () => void show());
void show();
