/**
 * @module The read API under /api/v1 (bearer token): agencies, posture, hosts, findings, per-host
 * results with evidence, history and delivery completeness; revocation and exposure tags (admin).
 * docs/api.md documents every route.
 */
import { auditAdmin } from '../../store/admin-audit.js';
import { EXPOSURE_WORDS, exposureFromWord, setExposure } from '../../host-exposure.js';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { CheckStatusSchema } from '../../../shared/result.js';
import type { ServerConfig } from '../../config.js';
import type { Agency, AgencyNode, Agent, HostSummary, Store } from '../../store/store.js';
import { assertAdmin, bearerAuth, requireUser } from '../bearer-auth.js';
import { PageQuerySchema, pageOf, parseWith } from '../request-parsing.js';
import { scopeOf, visibleAgency, visibleHost } from '../../auth/request-scope.js';
import { SeveritySchema } from '../../../shared/rule-pack.js';
import { componentFigures, onlineSince } from './dashboard-routes.js';
import { pastInstant } from '../../as-of/agency-models.js';
import { findingsView, hostResultsView, hostsView, postureView } from '../../as-of/as-of-views.js';

export interface Liveness {
  isConnected(agentId: string): boolean;
  closeRevoked(agentId: string): boolean;
}

const AgencyParams = z.object({ agency: z.string().min(1).max(128) });
const HostParams = z.object({ host: z.string().min(1).max(255) });

export function apiRoutes(app: FastifyInstance, store: Store, config: ServerConfig, live: Liveness): void {
  const online = (h: { agentId: string; lastSeenAt: string | null; revoked: boolean }): boolean => {
    if (h.revoked) return false;
    if (live.isConnected(h.agentId)) return true;
    // Another replica may hold the socket: trust a recent last-seen.
    return h.lastSeenAt !== null && Date.now() - Date.parse(h.lastSeenAt) < 2 * config.heartbeatSeconds * 1000 + config.lastSeenFlushSeconds * 1000;
  };
  const withOnline = (h: HostSummary) => ({ ...h, online: online(h) });

  // Scope (server/auth/scope.ts): a viewer reads its agency and its components; an agency or
  // host outside the caller's scope answers exactly like one that does not exist.
  async function agencyFor(req: { params: unknown; user: unknown }): Promise<Agency & { ids: number[]; tree: AgencyNode[] }> {
    const { agency } = parseWith(AgencyParams, req.params, 'path');
    const found = await visibleAgency(store, requireUser(req as never), agency);
    // A component's viewer does not learn the parent's name.
    const parentName = found.agency.parentId !== null && found.scope.canSee(found.agency.parentId) ? found.agency.parentName : null;
    return { ...found.agency, parentName, ids: found.ids, tree: found.tree };
  }

  async function hostFor(req: { params: unknown }): Promise<Agent> {
    const { host } = parseWith(HostParams, req.params, 'path');
    return visibleHost(store, requireUser(req as never), host);
  }

  const Text = z.string().trim().max(200).optional();
  /** `?asOf=`: answer as the collector would have at that past instant (docs/api.md, "As of a past date"). */
  const AsOf = z.iso.datetime({ offset: true }).optional();

  app.register(async (api) => {
    api.decorateRequest('user', null);
    api.addHook('onRequest', bearerAuth(store));

    api.get('/api/v1/agencies', async (req) => {
      const user = requireUser(req);
      const all = await store.listAgencies();
      const { scope } = await scopeOf(store, user);
      const visible = all.filter((a) => scope.canSee(a.id));
      return {
        items: visible.map((a) => ({ id: a.id, name: a.name, parent: a.parentId !== null && scope.canSee(a.parentId) ? a.parentName : null, hosts: a.hostCount, createdAt: a.createdAt })),
      };
    });

    api.get('/api/v1/agencies/:agency/posture', async (req) => {
      const agency = await agencyFor(req);
      const { dueSoonDays, asOf } = parseWith(z.object({ dueSoonDays: z.coerce.number().int().min(1).max(365).default(config.dueSoonDays), asOf: AsOf }), req.query, 'query');
      const now = new Date().toISOString();
      if (asOf) return postureView(store, agency, pastInstant(asOf, now), now, dueSoonDays);
      // Rolled up over the agency's components (docs/dashboard.md); online counted like the host list.
      const posture = agency.ids.length > 1 ? await store.postureRollup(agency.id, agency.ids, now, dueSoonDays) : await store.posture(agency.id, now, dueSoonDays);
      const online = (await store.listHostsFiltered(agency.id, { agencyIds: agency.ids, status: 'online', onlineSince: onlineSince(config) }, { limit: 1, offset: 0 })).total;
      const components = await componentFigures(store, config, agency.tree, agency.id);
      return { ...posture, agency: { ...posture.agency, parentName: agency.parentName }, hosts: { ...posture.hosts, online }, components };
    });

    api.get('/api/v1/agencies/:agency/hosts', async (req) => {
      const agency = await agencyFor(req);
      const q = parseWith(PageQuerySchema.extend({ q: Text, status: z.enum(['online', 'offline']).optional(), asOf: AsOf }), req.query, 'query');
      if (q.asOf) {
        if (q.status) throw new AppError('ERR_API_INVALID_REQUEST', 'status (online/offline) is live-only: leave it out when asking asOf a past date');
        const now = new Date().toISOString();
        return hostsView(store, agency, pastInstant(q.asOf, now), now, q.q || undefined, pageOf(q));
      }
      const hosts = await store.listHostsFiltered(agency.id, { agencyIds: agency.ids, q: q.q || undefined, status: q.status, onlineSince: onlineSince(config) }, pageOf(q));
      return { ...hosts, items: hosts.items.map(withOnline) };
    });

    api.get('/api/v1/agencies/:agency/findings', async (req) => {
      const agency = await agencyFor(req);
      const q = parseWith(
        PageQuerySchema.extend({ state: z.enum(['open', 'overdue', 'resolved', 'all']).default('open'), severity: SeveritySchema.optional(), directive: Text, q: Text, asOf: AsOf }),
        req.query,
        'query',
      );
      if (q.asOf) {
        const now = new Date().toISOString();
        return findingsView(store, agency, pastInstant(q.asOf, now), now, { state: q.state, severity: q.severity, directive: q.directive || undefined, q: q.q || undefined }, pageOf(q));
      }
      return store.listFindings(
        agency.id,
        new Date().toISOString(),
        { state: q.state, severity: q.severity, directive: q.directive || undefined, q: q.q || undefined, agencyIds: agency.ids.length > 1 ? agency.ids : undefined },
        pageOf(q),
      );
    });

    api.get('/api/v1/hosts/:host', async (req) => {
      const agent = await hostFor(req);
      const detail = await store.hostDetail(agent.id);
      // The BOD 26-04 exposure tag; `unset` is treated as internet-exposed (docs/directive-clocks.md).
      return { ...detail, host: { ...withOnline(detail.host), exposure: agent.exposure ?? 'unset' } };
    });

    api.get('/api/v1/hosts/:host/results', async (req) => {
      const agent = await hostFor(req);
      const q = parseWith(PageQuerySchema.extend({ status: CheckStatusSchema.optional(), severity: SeveritySchema.optional(), directive: Text, q: Text, asOf: AsOf }), req.query, 'query');
      if (q.asOf) {
        const now = new Date().toISOString();
        return hostResultsView(store, agent, pastInstant(q.asOf, now), now, { status: q.status, severity: q.severity, directive: q.directive || undefined, q: q.q || undefined }, pageOf(q));
      }
      const detail = await store.hostDetail(agent.id);
      // Failures first, then errors, passes, not-applicable; by severity, then rule id.
      const results = await store.hostResultsFiltered(agent.id, { status: q.status, severity: q.severity, directive: q.directive || undefined, q: q.q || undefined }, pageOf(q));
      return { host: withOnline(detail.host), gaps: detail.gaps, ...results };
    });

    api.get('/api/v1/hosts/:host/history', async (req) => {
      const agent = await hostFor(req);
      return store.hostHistory(agent.id, pageOf(parseWith(PageQuerySchema, req.query, 'query')));
    });

    api.post('/api/v1/agents/:host/revoke', async (req) => {
      const admin = requireUser(req);
      assertAdmin(admin);
      const agent = await hostFor(req);
      await store.revokeAgent(agent.id, new Date().toISOString());
      await auditAdmin(store, { actor: `api:${admin.name}`, action: 'agent.revoke', objectType: 'agent', objectId: agent.id, after: { hostname: agent.hostname, agency: agent.agencyName } });
      const closed = live.closeRevoked(agent.id);
      return { agentId: agent.id, revoked: true, closedLiveConnection: closed };
    });

    api.put('/api/v1/hosts/:host/exposure', async (req) => {
      const admin = requireUser(req);
      assertAdmin(admin);
      const agent = await hostFor(req);
      const { exposure } = parseWith(z.strictObject({ exposure: z.enum(EXPOSURE_WORDS) }), req.body, 'body');
      const change = await setExposure(store, agent, exposureFromWord(exposure), `api:${admin.name}`);
      return {
        agentId: agent.id,
        hostname: agent.hostname,
        exposure: change.after ?? 'unset',
        previous: change.before ?? 'unset',
        exposed: change.after !== 'internal',
        findingsRetiered: change.findingsRetiered,
      };
    });
  });
}
