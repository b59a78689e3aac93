/**
 * @module The current-result row both stores read (results joined to rules, the same columns on
 * SQLite and PostgreSQL) and its mapping to the Store's StoredResult.
 */
import type { CheckStatus } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import type { StoredResult } from './store.js';

export interface ResultRow {
  rule_id: string;
  status: CheckStatus;
  severity: Severity;
  seq: number;
  scan_id: string;
  scanned_at: string;
  changed_at: string;
  body: string;
}

/** Columns of a ResultRow from `results r JOIN rules ru ON ru.key = r.rule_key`. */
export const RESULT_COLUMNS = 'ru.id AS rule_id, r.status, ru.severity, r.seq, r.scan_id, r.scanned_at, r.changed_at, r.body';

export function toStoredResult(r: ResultRow): StoredResult {
  return {
    ruleId: r.rule_id,
    status: r.status,
    severity: r.severity,
    seq: r.seq,
    scanId: r.scan_id,
    scannedAt: r.scanned_at,
    changedAt: r.changed_at,
    result: JSON.parse(r.body),
  };
}
