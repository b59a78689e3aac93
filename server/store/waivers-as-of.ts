/**
 * @module The waivers that count at an instant, per (host, rule): the one function both stores use
 * for the live posture and for as-of evidence. The most specific scope wins (host, then host set,
 * then agency), then the latest expiry.
 */
import type { Waiver } from '../../shared/evidence/model.js';
import type { Severity } from '../../shared/rule-pack.js';
import { chunked, placeholders, type SqlReader } from './sql-reader.js';
import type { WaiverRow } from './waiver-store.js';
import { stateAt, waiverKey, type WaiverScope } from './waivers.js';

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
}

const SPECIFICITY: Record<WaiverScope, number> = { host: 3, 'host-set': 2, agency: 1 };

/** Every waiver of the agency that was active at `at`, as it stood then. */
async function standingAt(reader: SqlReader, agencyId: number, at: string): Promise<Standing[]> {
  const rows = (await reader.all<WaiverRow>('SELECT w.* FROM waivers w WHERE w.agency_id = ? ORDER BY w.id', [agencyId])).filter(
    (r) => Date.parse(r.created_at) <= Date.parse(at) && stateAt({ startsAt: r.starts_at, expiresAt: r.expires_at, removedAt: r.removed_at }, at) === 'active',
  );
  const hosts = new Map<number, string[]>(rows.map((r) => [r.id, []]));
  for (const part of chunked(rows.filter((r) => r.scope !== 'agency').map((r) => r.id))) {
    for (const h of await reader.all<{ waiver_id: number; agent_id: string }>(`SELECT waiver_id, agent_id FROM waiver_hosts WHERE waiver_id IN (${placeholders(part.length)})`, part)) {
      hosts.get(h.waiver_id)!.push(h.agent_id);
    }
  }
  return rows.map((r) => ({
    id: `W-${r.id}`,
    ruleId: r.rule_id,
    scope: r.scope,
    agentIds: hosts.get(r.id)!,
    justification: r.justification,
    approver: r.approver,
    risk: r.risk,
    startsAt: r.starts_at,
    expiresAt: r.expires_at,
  }));
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
