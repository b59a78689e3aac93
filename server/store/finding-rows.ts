/**
 * @module The findings row both stores read (the same SQL on SQLite and PostgreSQL) and its mapping
 * to the Store's Finding.
 */
import { Bod2604TierIdSchema } from '../../shared/bod-26-04.js';
import type { Severity } from '../../shared/rule-pack.js';
import type { Finding } from './store.js';

export interface FindingRow {
  id: number;
  agent_id: string;
  hostname: string;
  rule_id: string;
  title: string;
  severity: Severity;
  directive: string | null;
  first_seen_at: string;
  due_at: string | null;
  resolved_at: string | null;
  tier: string | null;
  /** 0/1 on SQLite, boolean on PostgreSQL. */
  forensic_triage: number | boolean;
}

export const FINDING_SELECT =
  'SELECT f.id, g.id AS agent_id, g.hostname, r.id AS rule_id, r.title, r.severity, f.directive, f.first_seen_at, f.due_at, f.resolved_at, f.tier, f.forensic_triage ' +
  'FROM findings f JOIN agents g ON g.key = f.agent_key JOIN rules r ON r.key = f.rule_key';

export function toFinding(row: FindingRow, now: string): Finding {
  const tier = Bod2604TierIdSchema.safeParse(row.tier);
  return {
    id: row.id,
    agentId: row.agent_id,
    hostname: row.hostname,
    ruleId: row.rule_id,
    title: row.title,
    severity: row.severity,
    directive: row.directive,
    firstSeenAt: row.first_seen_at,
    dueAt: row.due_at,
    overdue: row.resolved_at === null && row.due_at !== null && row.due_at < now,
    resolvedAt: row.resolved_at,
    tier: tier.success ? tier.data : null,
    forensicTriage: Boolean(row.forensic_triage),
  };
}
