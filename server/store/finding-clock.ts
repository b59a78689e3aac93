/**
 * @module A finding's due date, pure: the rule's directive clock, or for a finding citing BOD 26-04
 * with CVE inputs the Table 1 tier for the host's exposure tag (shared/bod-26-04.ts). Both stores
 * call it when a finding opens, when its CVE inputs change and when the host's tag changes.
 * docs/directive-clocks.md explains the choices.
 */
import { BOD_26_04, Bod2604DecisionSchema, decideBod2604, type Bod2604Decision, type HostExposure } from '../../shared/bod-26-04.js';
import { addDays } from '../../shared/evidence/clocks.js';
import type { CveMatch, RuleResult } from '../../shared/result.js';

export interface FindingClock {
  dueAt: string | null;
  directive: string | null;
  /** The BOD 26-04 Table 1 decision, when the finding has CVE inputs. */
  tier?: Bod2604Decision;
}

/** The rule's own clock as stored with the rule (clock_days, clock_directive). */
export interface RuleClock {
  clockDays?: number | null;
  clockDirective?: string | null;
}

/** True when a failing result's due date comes from BOD 26-04 Table 1. */
export function usesTable1(r: Pick<RuleResult, 'status' | 'references' | 'cves'>): boolean {
  return r.status === 'fail' && r.cves !== undefined && r.cves.length > 0 && r.references.directives.includes(BOD_26_04);
}

/**
 * Due date of a failure first seen at `firstSeenAt`. Without CVE inputs: first seen + the rule's clock.
 * With them: first seen + the tightest tier (none for "next upgrade"); a shorter clock from another
 * directive or the rule itself still wins (BOD 26-04's own 14-day default is what the tier replaces).
 */
export function findingClock(rule: RuleClock, cves: readonly CveMatch[] | undefined, exposure: HostExposure | null, firstSeenAt: string): FindingClock {
  const days = rule.clockDays ?? undefined;
  const directive = rule.clockDirective ?? null;
  const tier = cves && cves.length > 0 ? decideBod2604(cves, exposure) : undefined;
  if (!tier) return { dueAt: days === undefined ? null : addDays(firstSeenAt, days), directive };
  const tierDue = tier.days === null ? null : addDays(firstSeenAt, tier.days);
  const other = directive !== BOD_26_04 && days !== undefined ? addDays(firstSeenAt, days) : null;
  if (other !== null && (tierDue === null || other < tierDue)) return { dueAt: other, directive, tier };
  return { dueAt: tierDue, directive: BOD_26_04, tier };
}

/** The CVE inputs a stored decision was made from (defaulted inputs go back to unknown), to decide again for another exposure. */
export function cvesOfDecision(d: Bod2604Decision): CveMatch[] {
  return d.cves.map((c) => ({
    cve: c.cve,
    kev: c.defaulted.includes('kev') ? null : c.kev,
    ...(c.kevDueDate ? { kevDueDate: c.kevDueDate } : {}),
    ...(c.kevDateAdded ? { kevDateAdded: c.kevDateAdded } : {}),
    ...(c.defaulted.includes('automatable') ? {} : { automatable: c.automatable }),
    ...(c.defaulted.includes('impact') ? {} : { technicalImpact: c.impact }),
  }));
}

/** A stored tier_decision column, or undefined when empty or unreadable. */
export function parseDecision(text: string | null | undefined): Bod2604Decision | undefined {
  if (!text) return undefined;
  try {
    const parsed = Bod2604DecisionSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The finding columns a clock writes: due_at, directive, tier, forensic_triage, tier_decision. */
/** The findings columns a clock is stored in. */
export interface TierColumns {
  dueAt: string | null;
  directive: string | null;
  tier: string | null;
  forensicTriage: boolean;
  decision: string | null;
}

export function tierColumns(c: FindingClock): TierColumns {
  return {
    dueAt: c.dueAt,
    directive: c.directive,
    tier: c.tier?.tier ?? null,
    forensicTriage: c.tier?.forensicTriage ?? false,
    decision: c.tier ? JSON.stringify(c.tier) : null,
  };
}

/** An open finding's stored clock, as both stores read it to re-tier the finding. */
export interface OpenFindingClock {
  id: number;
  first_seen_at: string;
  due_at: string | null;
  directive: string | null;
  tier_decision: string | null;
}

/** The columns to write for `clock`, or undefined when the finding already holds them. */
export function changedTierColumns(f: OpenFindingClock, clock: FindingClock): TierColumns | undefined {
  const c = tierColumns(clock);
  return c.dueAt === f.due_at && c.directive === f.directive && c.decision === f.tier_decision ? undefined : c;
}

/** The agents.exposure column as a HostExposure; anything else is untagged. */
export function exposureOf(value: string | null): HostExposure | null {
  return value === 'internet' || value === 'internal' ? value : null;
}
