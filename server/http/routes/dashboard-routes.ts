/**
 * @module API routes the dashboard adds under /api/v1 (bearer token): who am I, the federal
 * overview rolled up over components with a 30-day trend, the rule view (which hosts are in a
 * status and since when), and tickets for the live WebSocket. Every route asks
 * server/auth/request-scope.ts; what a caller may not see answers like what does not exist.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { CheckStatusSchema } from '../../../shared/result.js';
import { VERSION } from '../../../shared/version.js';
import { subtree } from '../../auth/scope.js';
import { agencyModelsAsOf, pastInstant } from '../../as-of/agency-models.js';
import { figuresAsOf } from '../../as-of/posture-as-of.js';
import { scopeOf, visibleAgency } from '../../auth/request-scope.js';
import type { ServerConfig } from '../../config.js';
import type { LiveHub } from '../../live/live-hub.js';
import type { AgencyFigures, AgencyNode, Store } from '../../store/store.js';
import { hashToken } from '../../tokens.js';
import { bearerAuth, requireUser } from '../bearer-auth.js';
import { PageQuerySchema, pageOf, parseWith } from '../request-parsing.js';

export const TREND_DAYS = 30;
const DAY_MS = 86_400_000;

export interface OverviewAgency {
  name: string;
  parentName: string | null;
  score: number | null;
  /** online is null as of a past date (live-only). */
  hosts: { total: number; online: number | null };
  findings: { open: number; overdue: number };
  trend: Array<{ day: string; score: number | null }>;
}

/** Per-agency figures as of a past instant (server/as-of), in place of the live counters. */
export type FiguresAt = Map<number, Omit<AgencyFigures, 'online'> & { online: number | null }>;

/** Seen within two heartbeats plus one last-seen flush: the same rule as the host list's `online`. */
export function onlineSince(config: ServerConfig, now = Date.now()): string {
  return new Date(now - (2 * config.heartbeatSeconds + config.lastSeenFlushSeconds) * 1000).toISOString();
}

export function scoreOf(won: number, possible: number): number | null {
  return possible === 0 ? null : Math.round((1000 * won) / possible) / 10;
}

/** Agencies in display order: each parent followed by its components (depth first, by name). */
export function treeOrder(nodes: AgencyNode[]): AgencyNode[] {
  const ids = new Set(nodes.map((n) => n.id));
  const children = new Map<number | null, AgencyNode[]>();
  for (const n of nodes) {
    const parent = n.parentId !== null && ids.has(n.parentId) ? n.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), n]);
  }
  const out: AgencyNode[] = [];
  const walk = (parent: number | null, depth: number) => {
    if (depth > 64) return;
    for (const n of (children.get(parent) ?? []).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(n);
      walk(n.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/**
 * Roll-up: an agency's figures are the sums over itself and every component below it (hosts,
 * online hosts, open and overdue findings, and the severity-weighted won/possible verdicts), and
 * its score is 100 × Σwon / Σpossible — every host counts once, so a large component weighs more
 * than a small one. Trend days sum the daily snapshots the same way; today is computed live.
 */
export type Rollup = Omit<OverviewAgency, 'name' | 'parentName'>;

export async function buildOverview(
  store: Store,
  config: ServerConfig,
  tree: AgencyNode[],
  visible: ReadonlySet<number>,
  now = new Date(),
  figuresAt?: FiguresAt,
): Promise<{ agencies: OverviewAgency[]; federal: Rollup | null }> {
  const nowIso = now.toISOString();
  const all = visible.size === tree.length;
  const figures: FiguresAt = figuresAt ?? new Map((await store.agencyFigures(nowIso, onlineSince(config, now.getTime()), all ? undefined : [...visible])).map((f) => [f.agencyId, f]));
  const today = nowIso.slice(0, 10);
  const days = Array.from({ length: TREND_DAYS }, (_, i) => new Date(now.getTime() - (TREND_DAYS - 1 - i) * DAY_MS).toISOString().slice(0, 10));
  const daily = new Map<string, { won: number; possible: number }>();
  for (const d of await store.dailyPosture(days[0]!)) daily.set(`${d.agencyId}:${d.day}`, d);
  const rollup = (ids: number[]): Rollup => {
    const sum = { won: 0, possible: 0, hosts: 0, online: figuresAt ? null : (0 as number | null), open: 0, overdue: 0 };
    for (const id of ids) {
      const f = figures.get(id);
      if (!f) continue;
      sum.won += f.won;
      sum.possible += f.possible;
      sum.hosts += f.hosts;
      if (sum.online !== null && f.online !== null) sum.online += f.online;
      sum.open += f.openFindings;
      sum.overdue += f.overdueFindings;
    }
    const score = scoreOf(sum.won, sum.possible);
    const trend = days.map((day) => {
      if (day === today) return { day, score };
      let won = 0;
      let possible = 0;
      let seen = false;
      for (const id of ids) {
        const d = daily.get(`${id}:${day}`);
        if (!d) continue;
        seen = true;
        won += d.won;
        possible += d.possible;
      }
      return { day, score: seen ? scoreOf(won, possible) : null };
    });
    return { score, hosts: { total: sum.hosts, online: sum.online }, findings: { open: sum.open, overdue: sum.overdue }, trend };
  };
  const agencies = treeOrder(tree.filter((n) => visible.has(n.id))).map((node) => ({
    name: node.name,
    parentName: node.parentId !== null && visible.has(node.parentId) ? node.parentName : null,
    ...rollup([...subtree(tree, node.id)]),
  }));
  // The federal view: every agency once (only for callers who see every agency).
  return { agencies, federal: all ? rollup(tree.map((n) => n.id)) : null };
}

/** Each direct component of an agency with its rolled-up score and host count (the agency view). */
export async function componentFigures(store: Store, config: ServerConfig, tree: AgencyNode[], agencyId: number): Promise<Array<{ name: string; score: number | null; hosts: number }>> {
  const children = tree.filter((a) => a.parentId === agencyId).sort((a, b) => a.name.localeCompare(b.name));
  if (children.length === 0) return [];
  const below = children.flatMap((c) => [...subtree(tree, c.id)]);
  const figures = new Map((await store.agencyFigures(new Date().toISOString(), onlineSince(config), below)).map((f) => [f.agencyId, f]));
  return children.map((c) => {
    let won = 0;
    let possible = 0;
    let hosts = 0;
    for (const id of subtree(tree, c.id)) {
      const f = figures.get(id);
      if (!f) continue;
      won += f.won;
      possible += f.possible;
      hosts += f.hosts;
    }
    return { name: c.name, score: scoreOf(won, possible), hosts };
  });
}

const RuleParams = z.object({ ruleId: z.string().min(1).max(200) });
const RuleQuery = PageQuerySchema.extend({
  agency: z.string().min(1).max(128).optional(),
  status: CheckStatusSchema.default('fail'),
});

export function dashboardRoutes(app: FastifyInstance, store: Store, config: ServerConfig, hub: LiveHub): void {
  app.register(async (api) => {
    if (!api.hasRequestDecorator('user')) api.decorateRequest('user', null);
    api.addHook('onRequest', bearerAuth(store));

    api.get('/api/v1/me', async (req) => {
      const user = requireUser(req);
      // latestAgentVersion: this collector's release; the dashboard marks hosts whose agentVersion is older as outdated.
      return { name: user.name, role: user.role, agency: user.agencyName, latestAgentVersion: VERSION };
    });

    api.get('/api/v1/overview', async (req) => {
      const { scope, tree } = await scopeOf(store, requireUser(req));
      // Viewers get no federal totals: they would count other agencies.
      const { asOf } = parseWith(z.object({ asOf: z.iso.datetime({ offset: true }).optional() }), req.query, 'query');
      if (asOf) {
        // As of a past instant: each visible agency's own figures rebuilt from its evidence then; the trend ends that day.
        const nowIso = new Date().toISOString();
        const at = pastInstant(asOf, nowIso);
        const visible = tree.filter((a) => scope.agencyIds.has(a.id));
        const models = await agencyModelsAsOf(store, visible, at, nowIso);
        const figuresAt: FiguresAt = new Map([...models].map(([id, m]) => [id, figuresAsOf(id, m)]));
        const { agencies, federal } = await buildOverview(store, config, tree, scope.agencyIds, new Date(at), figuresAt);
        return { asOf: at, federal: scope.all ? federal : null, agencies };
      }
      const { agencies, federal } = await buildOverview(store, config, tree, scope.agencyIds);
      return { asOf: new Date().toISOString(), federal: scope.all ? federal : null, agencies };
    });

    api.get('/api/v1/rules/:ruleId/hosts', async (req) => {
      const user = requireUser(req);
      const { ruleId } = parseWith(RuleParams, req.params, 'path');
      const q = parseWith(RuleQuery, req.query, 'query');
      let ids: number[] | null;
      if (q.agency !== undefined) ids = (await visibleAgency(store, user, q.agency)).ids;
      else {
        const { scope } = await scopeOf(store, user);
        ids = scope.all ? null : [...scope.agencyIds];
      }
      const found = await store.ruleHosts(ruleId, ids, q.status, pageOf(q));
      // An unknown rule and a rule no visible host reports answer the same.
      if (!found) throw new AppError('ERR_NOT_FOUND', `no host reports rule "${ruleId}"`);
      return { ...found.page, rule: found.rule };
    });

    api.post('/api/v1/live/ticket', async (req) => {
      const user = requireUser(req);
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')![1]!;
      return hub.tickets.issue({ user, tokenHash: hashToken(token) });
    });
  });
}
