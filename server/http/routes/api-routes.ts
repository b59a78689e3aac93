/**
 * @module The read API under /api/v1 (bearer token): agencies, posture, hosts, findings, per-host
 * results with evidence, history and delivery completeness; and revocation (admin).
 * docs/api.md documents every route.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { CheckStatusSchema } from '../../../shared/result.js';
import type { ServerConfig } from '../../config.js';
import type { Agency, Agent, HostSummary, Store } from '../../store/store.js';
import { assertAdmin, assertCanRead, bearerAuth, requireUser } from '../bearer-auth.js';
import { PageQuerySchema, pageOf, parseWith } from '../request-parsing.js';

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

  async function agencyFor(req: { params: unknown; user: unknown }): Promise<Agency> {
    const { agency } = parseWith(AgencyParams, req.params, 'path');
    const found = await store.findAgency(agency);
    if (!found) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${agency}" does not exist`);
    assertCanRead(requireUser(req as never), found);
    return found;
  }

  async function hostFor(req: { params: unknown }): Promise<Agent> {
    const { host } = parseWith(HostParams, req.params, 'path');
    const agent = await store.findHost(host);
    if (!agent) throw new AppError('ERR_NOT_FOUND', `host "${host}" does not exist`);
    assertCanRead(requireUser(req as never), { id: agent.agencyId, name: agent.agencyName });
    return agent;
  }

  app.register(async (api) => {
    api.decorateRequest('user', null);
    api.addHook('onRequest', bearerAuth(store));

    api.get('/api/v1/agencies', async (req) => {
      const user = requireUser(req);
      const all = await store.listAgencies();
      const visible = user.role === 'agency-viewer' ? all.filter((a) => a.id === user.agencyId) : all;
      return { items: visible.map((a) => ({ id: a.id, name: a.name, parent: a.parentName, hosts: a.hostCount, createdAt: a.createdAt })) };
    });

    api.get('/api/v1/agencies/:agency/posture', async (req) => {
      const agency = await agencyFor(req);
      const { dueSoonDays } = parseWith(z.object({ dueSoonDays: z.coerce.number().int().min(1).max(365).default(config.dueSoonDays) }), req.query, 'query');
      return store.posture(agency.id, new Date().toISOString(), dueSoonDays);
    });

    api.get('/api/v1/agencies/:agency/hosts', async (req) => {
      const agency = await agencyFor(req);
      const page = pageOf(parseWith(PageQuerySchema, req.query, 'query'));
      const hosts = await store.listHosts(agency.id, new Date().toISOString(), page);
      return { ...hosts, items: hosts.items.map(withOnline) };
    });

    api.get('/api/v1/agencies/:agency/findings', async (req) => {
      const agency = await agencyFor(req);
      const q = parseWith(PageQuerySchema.extend({ state: z.enum(['open', 'overdue', 'resolved', 'all']).default('open') }), req.query, 'query');
      return store.listFindings(agency.id, new Date().toISOString(), { state: q.state }, pageOf(q));
    });

    api.get('/api/v1/hosts/:host', async (req) => {
      const agent = await hostFor(req);
      const detail = await store.hostDetail(agent.id);
      return { ...detail, host: withOnline(detail.host) };
    });

    api.get('/api/v1/hosts/:host/results', async (req) => {
      const agent = await hostFor(req);
      const q = parseWith(PageQuerySchema.extend({ status: CheckStatusSchema.optional() }), req.query, 'query');
      const detail = await store.hostDetail(agent.id);
      const results = await store.hostResults(agent.id, pageOf(q), q.status);
      return { host: withOnline(detail.host), gaps: detail.gaps, ...results };
    });

    api.get('/api/v1/hosts/:host/history', async (req) => {
      const agent = await hostFor(req);
      return store.hostHistory(agent.id, pageOf(parseWith(PageQuerySchema, req.query, 'query')));
    });

    api.post('/api/v1/agents/:host/revoke', async (req) => {
      assertAdmin(requireUser(req));
      const agent = await hostFor(req);
      await store.revokeAgent(agent.id, new Date().toISOString());
      const closed = live.closeRevoked(agent.id);
      return { agentId: agent.id, revoked: true, closedLiveConnection: closed };
    });
  });
}
