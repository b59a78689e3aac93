/**
 * @module BOD 26-04 tiers of open findings on PostgreSQL: after an ingest batch's rounds, re-tier the
 * open findings of failing results with CVE inputs (two statements, inside the ingest transaction);
 * and set a host's exposure tag with its open tiered findings re-tiered in one transaction (the agent
 * row is locked first, as ingest does). server/store/finding-clock.ts decides.
 */
import type pg from 'pg';
import type { HostExposure } from '../../../shared/bod-26-04.js';
import type { ResultItem } from '../../../shared/protocol.js';
import { changedTierColumns, cvesOfDecision, exposureOf, findingClock, parseDecision, type FindingClock, type OpenFindingClock, type TierColumns } from '../finding-clock.js';
import type { ExposureChange } from '../store.js';
import { inTransaction } from './pg-pool.js';

/** A failing result with CVE inputs applied in this batch: its (agent, rule) and the seq it was stored with. */
export interface TierCandidate {
  agentKey: number;
  ruleKey: number;
  seq: number;
  result: ResultItem;
}


interface Update {
  id: number;
  c: TierColumns;
}

function changed(f: OpenFindingClock, clock: FindingClock): Update | undefined {
  const c = changedTierColumns(f, clock);
  return c && { id: f.id, c };
}

async function writeUpdates(c: pg.PoolClient, updates: Update[]): Promise<void> {
  if (updates.length === 0) return;
  updates.sort((a, b) => a.id - b.id);
  await c.query(
    `UPDATE findings f SET due_at = u.due, directive = u.dir, tier = u.tier, forensic_triage = u.ft, tier_decision = u.dec
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[]) AS u(id, due, dir, tier, ft, dec)
      WHERE f.id = u.id`,
    [updates.map((u) => u.id), updates.map((u) => u.c.dueAt), updates.map((u) => u.c.directive), updates.map((u) => u.c.tier), updates.map((u) => u.c.forensicTriage), updates.map((u) => u.c.decision)],
  );
}

/**
 * Re-tier the open findings of these results (inside the ingest transaction, after the findings were
 * opened). A result that lost to a newer stored seq (a late frame) is skipped.
 */
export async function retierFindings(c: pg.PoolClient, candidates: readonly TierCandidate[]): Promise<void> {
  if (candidates.length === 0) return;
  const { rows } = await c.query<OpenFindingClock & { agent_key: number; rule_key: number; exposure: string | null; seq: string }>(
    `SELECT f.id, f.agent_key, f.rule_key, f.first_seen_at, f.due_at, f.directive, f.tier_decision, g.exposure, r.seq
       FROM unnest($1::int[], $2::int[]) AS u(a, k)
       JOIN findings f ON f.agent_key = u.a AND f.rule_key = u.k AND f.resolved_at IS NULL
       JOIN agents g ON g.key = f.agent_key
       JOIN results r ON r.agent_key = f.agent_key AND r.rule_key = f.rule_key`,
    [candidates.map((x) => x.agentKey), candidates.map((x) => x.ruleKey)],
  );
  const byKey = new Map(candidates.map((x) => [`${x.agentKey}:${x.ruleKey}`, x]));
  const updates: Update[] = [];
  for (const f of rows) {
    const x = byKey.get(`${f.agent_key}:${f.rule_key}`);
    if (!x || Number(f.seq) !== x.seq) continue;
    const u = changed(f, findingClock(x.result, x.result.cves, exposureOf(f.exposure), f.first_seen_at));
    if (u) updates.push(u);
  }
  await writeUpdates(c, updates);
}

/** Set or clear a host's exposure tag and re-tier its open tiered findings, atomically. */
export async function setHostExposurePg(pool: pg.Pool, agentId: string, exposure: HostExposure | null): Promise<ExposureChange | null> {
  return inTransaction(pool, async (c) => {
    const agent = (await c.query<{ key: number; exposure: string | null }>('SELECT key, exposure FROM agents WHERE id = $1 FOR NO KEY UPDATE', [agentId])).rows[0];
    if (!agent) return null;
    await c.query('UPDATE agents SET exposure = $1 WHERE key = $2', [exposure, agent.key]);
    const { rows } = await c.query<OpenFindingClock & { clock_days: number | null; clock_directive: string | null }>(
      `SELECT f.id, f.first_seen_at, f.due_at, f.directive, f.tier_decision, r.clock_days, r.clock_directive
         FROM findings f JOIN rules r ON r.key = f.rule_key
        WHERE f.agent_key = $1 AND f.resolved_at IS NULL AND f.tier_decision IS NOT NULL`,
      [agent.key],
    );
    const updates: Update[] = [];
    for (const f of rows) {
      const decision = parseDecision(f.tier_decision);
      if (!decision) continue;
      const u = changed(f, findingClock({ clockDays: f.clock_days, clockDirective: f.clock_directive }, cvesOfDecision(decision), exposure, f.first_seen_at));
      if (u) updates.push(u);
    }
    await writeUpdates(c, updates);
    return { before: exposureOf(agent.exposure), after: exposure, findingsRetiered: updates.length };
  });
}
