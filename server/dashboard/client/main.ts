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

function renderCrumbs(route: Route): void {
  const items = [html`<li><a href="#/">Federal overview</a></li>`];
  if (route.view === 'agency') items.push(html`<li aria-current="page">${route.id}</li>`);
  if (route.view === 'host') items.push(html`<li aria-current="page">Host ${route.id}</li>`);
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
  try {
    if (!me) {
      me = await api<Me>('/api/v1/me');
      renderSession();
    }
    if (!stopLive) stopLive = connectLive(onLive, (t) => (liveStatus.textContent = t));
    // Agency viewers land on their own agency.
    if (current.view === 'overview' && me.role === 'agency-viewer' && me.agency) {
      location.replace(`#/agency/${enc(me.agency)}`);
      return;
    }
    renderCrumbs(current);
    const scrollY = window.scrollY;
    if (current.view === 'agency') await renderAgency(main, current);
    else if (current.view === 'host') await renderHost(main, current);
    else if (current.view === 'rule') await renderRule(main, current);
    else if (current.view === 'help') mount(main, html`<h1>Help</h1><p>Status is shown as text and symbol: ✓ PASS, ✗ FAIL, ! ERROR (could not be checked; never counted as passing), – N/A. Findings are due by the directive clock of the rule (for example 14 days under BOD 23-02). Every page can be filtered with the forms above its tables, and every list is paged on the server.</p>`);
    else await renderOverview(main, current);
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
    (v.view === 'agency' && v.id === e.agency) ||
    (v.view === 'host' && (v.id === e.agentId || v.id === e.hostname)) ||
    (v.view === 'rule' && v.id === e.ruleId);
  if (e.type === 'result') liveStatus.textContent = `Live: ${e.hostname ?? e.agentId} reported ${e.ruleId ?? 'results'} ${e.status ?? ''} at ${e.at.slice(11, 19)} UTC`;
  if (!relevant) return;
  // Coalesce bursts: one refresh per 250 ms at most, so a flood of results does not thrash the page.
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    void show({ quiet: true }).then(() => main.classList.add('flash'));
    setTimeout(() => main.classList.remove('flash'), 1200);
  }, 250);
}

// The skip link moves focus to the content without touching the hash (the hash is the route).
document.querySelector<HTMLAnchorElement>('a.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => void show());
window.addEventListener('rampart:signed-in', () => void show());
void show();
