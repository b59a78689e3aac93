/**
 * @module The waivers that count at an instant, per (host, rule): the one function both stores use
 * for the live posture and for as-of evidence. Each waiver is taken as it stood at that instant: a
 * waiver changed since (expiry moved, approver or justification edited, removed) is rebuilt from the
 * append-only audit log, whose entries carry the whole waiver after each change. The most specific
 * scope wins (host, then host set, then agency), then the latest expiry.
 */
import { z } from 'zod';
import type { Waiver } from '../../shared/evidence/model.js';
import { SeveritySchema, type Severity } from '../../shared/rule-pack.js';
import { chunked, placeholders, type SqlReader } from './sql-reader.js';
import type { WaiverRow } from './waiver-store.js';
import { WaiverScopeSchema, stateAt, waiverKey, type WaiverScope } from './waivers.js';

/** A waiver as it stood at the instant asked about. */
interface Standing {
  id: string;
  ruleId: string;
  scope: WaiverScope;
  /** Host and host-set scopes: the waiver's hosts. */
  agentIds: string[];
  justification: string;
  approver: string;
  risk: Severity;
  startsAt: string;
  expiresAt: string;
  removedAt: string | null;
}

const SPECIFICITY: Record<WaiverScope, number> = { host: 3, 'host-set': 2, agency: 1 };

/** What the audit log keeps of a waiver after each change (store/waiver-store.ts `snapshot`), as far as counting needs it. */
const AuditedWaiverSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  scope: WaiverScopeSchema,
  hosts: z.array(z.object({ agentId: z.string() })),
  justification: z.string(),
  approver: z.string(),
  risk: SeveritySchema,
  startsAt: z.string(),
  expiresAt: z.string(),
  removedAt: z.string().nullable(),
});

/** The latest change of a waiver row: each change writes its time here and its audit entry at that time. */
function lastChange(r: WaiverRow): number {
  return Math.max(...[r.created_at, r.updated_at, r.removed_at].filter((t): t is string => t !== null).map((t) => Date.parse(t)));
}

/**
 * Every waiver of the agency that was active at `at`, as it stood then. A waiver not changed since
 * `at` stands as its row says (the live posture's case: no audit read); one changed since is the
 * `after` of its last audit entry at or before `at`.
 */
async function standingAt(reader: SqlReader, agencyId: number, at: string): Promise<Standing[]> {
  const t = Date.parse(at);
  const rows = (await reader.all<WaiverRow>('SELECT w.* FROM waivers w WHERE w.agency_id = ? ORDER BY w.id', [agencyId])).filter((r) => Date.parse(r.created_at) <= t);
  const settled = rows.filter((r) => lastChange(r) <= t);
  const changed = rows.filter((r) => lastChange(r) > t);
  const out: Standing[] = [];

  const hosts = new Map<number, string[]>(settled.map((r) => [r.id, []]));
  for (const part of chunked(settled.filter((r) => r.scope !== 'agency').map((r) => r.id))) {
    for (const h of await reader.all<{ waiver_id: number; agent_id: string }>(`SELECT waiver_id, agent_id FROM waiver_hosts WHERE waiver_id IN (${placeholders(part.length)})`, part)) {
      hosts.get(h.waiver_id)!.push(h.agent_id);
    }
  }
  for (const r of settled) {
    out.push({ id: `W-${r.id}`, ruleId: r.rule_id, scope: r.scope, agentIds: hosts.get(r.id)!, justification: r.justification, approver: r.approver, risk: r.risk, startsAt: r.starts_at, expiresAt: r.expires_at, removedAt: r.removed_at });
  }

  const then = new Map<string, string>();
  for (const part of chunked(changed.map((r) => `W-${r.id}`))) {
    const entries = await reader.all<{ object_id: string; at: string; after_json: string | null }>(
      `SELECT object_id, at, after_json FROM audit_log WHERE object_type = 'waiver' AND object_id IN (${placeholders(part.length)}) ORDER BY id`,
      part,
    );
    for (const e of entries) if (e.after_json !== null && Date.parse(e.at) <= t) then.set(e.object_id, e.after_json);
  }
  for (const r of changed) {
    const json = then.get(`W-${r.id}`);
    const w = json === undefined ? undefined : AuditedWaiverSchema.safeParse(JSON.parse(json));
    // No entry by then (or one this build cannot read): the waiver cannot be shown as it stood, so it does not count.
    if (!w?.success) continue;
    const { hosts, ...stood } = w.data;
    out.push({ ...stood, agentIds: hosts.map((h) => h.agentId) });
  }
  return out.filter((w) => stateAt(w, at) === 'active').sort((x, y) => Number(x.id.slice(2)) - Number(y.id.slice(2)));
}

/**
 * Every waiver that counted at `at` for the agency, per (agent id, rule id) (`waiverKey`), in the
 * evidence model's shape. An agency-wide waiver covers every host the agency has.
 */
export async function waiversAsOf(reader: SqlReader, agencyId: number, at: string): Promise<Map<string, Waiver>> {
  const standing = await standingAt(reader, agencyId, at);
  if (standing.length === 0) return new Map();
  const agencyAgents = standing.some((w) => w.scope === 'agency')
    ? (await reader.all<{ id: string }>('SELECT id FROM agents WHERE agency_id = ? ORDER BY id', [agencyId])).map((a) => a.id)
    : [];
  const best = new Map<string, Standing>();
  for (const w of standing) {
    for (const agentId of w.scope === 'agency' ? agencyAgents : w.agentIds) {
      const key = waiverKey(agentId, w.ruleId);
      const cur = best.get(key);
      const better =
        !cur || SPECIFICITY[w.scope] > SPECIFICITY[cur.scope] || (SPECIFICITY[w.scope] === SPECIFICITY[cur.scope] && Date.parse(w.expiresAt) > Date.parse(cur.expiresAt));
      if (better) best.set(key, w);
    }
  }
  const out = new Map<string, Waiver>();
  for (const [key, w] of best) {
    out.set(key, { id: w.id, justification: w.justification, approver: w.approver, risk: w.risk, start: w.startsAt, expiry: w.expiresAt, scope: w.scope });
  }
  return out;
}
