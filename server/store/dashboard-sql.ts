/**
 * @module SQL fragments that read the same on SQLite and PostgreSQL: the severity weight and status
 * rank used to order results, and the LIKE pattern of a search box (backslash escapes, which
 * PostgreSQL applies by default and SQLite with `ESCAPE '\'`).
 */
import { SEVERITY_WEIGHT } from '../../shared/result.js';

/** SQL weight of a rule severity (`r.severity`), the same table as SEVERITY_WEIGHT. */
export const WEIGHT_SQL = `CASE r.severity ${Object.entries(SEVERITY_WEIGHT)
  .map(([s, w]) => `WHEN '${s}' THEN ${w}`)
  .join(' ')} ELSE 1 END`;

/** Failing first, then errors, passes and the rest. */
export const STATUS_RANK = "CASE r.status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'pass' THEN 2 ELSE 3 END";

/** LIKE pattern for a case-insensitive substring, with LIKE's wildcards escaped. */
export function likeOf(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
