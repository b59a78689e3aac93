/**
 * @module BOD 26-04 tiers of open findings on SQLite: re-tier one finding from a failing result's CVE
 * inputs (inside the ingest transaction), and set a host's exposure tag with every open tiered
 * finding of the host re-tiered in the same transaction (server/store/finding-clock.ts decides).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { HostExposure } from '../../../shared/bod-26-04.js';
import type { RuleResult } from '../../../shared/result.js';
import { changedTierColumns, cvesOfDecision, exposureOf, findingClock, parseDecision, type FindingClock, type OpenFindingClock } from '../finding-clock.js';
import type { ExposureChange } from '../store.js';


export class SqliteFindingTiers {
  private readonly s: Record<'open' | 'update' | 'agent' | 'setExposure' | 'tiered', Statement>;

  constructor(private readonly db: Database) {
    this.s = {
      open: db.prepare(
        'SELECT f.id, f.first_seen_at, f.due_at, f.directive, f.tier_decision, g.exposure FROM findings f JOIN agents g ON g.key = f.agent_key ' +
          'WHERE f.agent_key = ? AND f.rule_key = ? AND f.resolved_at IS NULL',
      ),
      update: db.prepare('UPDATE findings SET due_at = ?, directive = ?, tier = ?, forensic_triage = ?, tier_decision = ? WHERE id = ?'),
      agent: db.prepare('SELECT key, exposure FROM agents WHERE id = ?'),
      setExposure: db.prepare('UPDATE agents SET exposure = ? WHERE key = ?'),
      tiered: db.prepare(
        'SELECT f.id, f.first_seen_at, f.due_at, f.directive, f.tier_decision, r.clock_days, r.clock_directive FROM findings f JOIN rules r ON r.key = f.rule_key ' +
          'WHERE f.agent_key = ? AND f.resolved_at IS NULL AND f.tier_decision IS NOT NULL',
      ),
    };
  }

  /** Bring the open finding of (agent, rule) in line with a failing result's CVE inputs (call inside the ingest transaction). */
  retier(agentKey: number, ruleKey: number, r: Pick<RuleResult, 'cves' | 'clockDays' | 'clockDirective'>): void {
    const f = this.s.open.get(agentKey, ruleKey) as (OpenFindingClock & { exposure: string | null }) | undefined;
    if (f) this.write(f, findingClock(r, r.cves, exposureOf(f.exposure), f.first_seen_at));
  }

  /** Set or clear the tag and re-tier the host's open tiered findings, in one transaction. */
  setHostExposure(agentId: string, exposure: HostExposure | null): ExposureChange | null {
    return this.db.transaction((): ExposureChange | null => {
      const agent = this.s.agent.get(agentId) as { key: number; exposure: string | null } | undefined;
      if (!agent) return null;
      this.s.setExposure.run(exposure, agent.key);
      let retiered = 0;
      for (const f of this.s.tiered.all(agent.key) as Array<OpenFindingClock & { clock_days: number | null; clock_directive: string | null }>) {
        const decision = parseDecision(f.tier_decision);
        if (!decision) continue;
        const clock = findingClock({ clockDays: f.clock_days, clockDirective: f.clock_directive }, cvesOfDecision(decision), exposure, f.first_seen_at);
        if (this.write(f, clock)) retiered++;
      }
      return { before: exposureOf(agent.exposure), after: exposure, findingsRetiered: retiered };
    }).immediate();
  }

  /** Write the clock when it differs from what the finding holds; true when it did. */
  private write(f: OpenFindingClock, clock: FindingClock): boolean {
    const c = changedTierColumns(f, clock);
    if (!c) return false;
    this.s.update.run(c.dueAt, c.directive, c.tier, c.forensicTriage ? 1 : 0, c.decision, f.id);
    return true;
  }
}
