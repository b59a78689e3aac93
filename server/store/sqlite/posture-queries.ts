/**
 * @module Read side of the SQLite store: one agency's posture from the maintained counters, host
 * lists, per-host results with evidence, delivery gaps and status history. No query scans the results
 * of a whole agency.
 */
import type { Database } from 'better-sqlite3';
import type { CheckStatus } from '../../../shared/result.js';
import { AppError } from '../../../shared/errors.js';
import type { HostDetail, HostSummary, Page, Paged, Posture, StatusChange, StoredResult } from '../store.js';
import { AGENT_SELECT, type AgentRow } from './rows.js';
import { FINDING_SELECT, toFinding, type FindingRow } from '../finding-rows.js';
import { hostDetailOf, hostSummary } from '../host-rows.js';
import { dueSoonEnd, FINDINGS_PREVIEW, postureOf, type CounterRow, type PostureAgencyRow } from '../posture-rollup.js';
import { RESULT_COLUMNS, toStoredResult, type ResultRow } from '../result-rows.js';
import { paged } from '../paged.js';

export function posture(db: Database, agencyId: number, now: string, dueSoonDays: number): Posture {
  const agency = db.prepare('SELECT a.id, a.name, p.name AS parent_name FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE a.id = ?').get(agencyId) as
    | PostureAgencyRow
    | undefined;
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency ${agencyId} does not exist`);
  const hosts = db
    .prepare('SELECT COUNT(*) AS total, COUNT(revoked_at) AS revoked FROM agents WHERE agency_id = ?')
    .get(agencyId) as { total: number; revoked: number };
  const rows = db
    .prepare(
      'SELECT r.id, r.title, r.severity, r.directives, c.n_pass, c.n_fail, c.n_error, c.n_na ' +
        'FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key WHERE c.agency_id = ?',
    )
    .all(agencyId) as CounterRow[];

  const soon = dueSoonEnd(now, dueSoonDays);
  const open = (db.prepare('SELECT COUNT(*) AS n FROM findings WHERE agency_id = ? AND resolved_at IS NULL').get(agencyId) as { n: number }).n;
  const overdue = (
    db.prepare('SELECT COUNT(*) AS n FROM findings WHERE agency_id = ? AND resolved_at IS NULL AND due_at < ?').get(agencyId, now) as { n: number }
  ).n;
  const dueSoon = (
    db.prepare('SELECT COUNT(*) AS n FROM findings WHERE agency_id = ? AND resolved_at IS NULL AND due_at >= ? AND due_at < ?').get(agencyId, now, soon) as {
      n: number;
    }
  ).n;
  const overdueList = (
    db
      .prepare(`${FINDING_SELECT} WHERE f.agency_id = ? AND f.resolved_at IS NULL AND f.due_at < ? ORDER BY f.due_at, f.id LIMIT ?`)
      .all(agencyId, now, FINDINGS_PREVIEW) as FindingRow[]
  ).map((r) => toFinding(r, now));
  const dueSoonList = (
    db
      .prepare(`${FINDING_SELECT} WHERE f.agency_id = ? AND f.resolved_at IS NULL AND f.due_at >= ? AND f.due_at < ? ORDER BY f.due_at, f.id LIMIT ?`)
      .all(agencyId, now, soon, FINDINGS_PREVIEW) as FindingRow[]
  ).map((r) => toFinding(r, now));

  return postureOf(agency, hosts, rows, now, { open, overdue, dueSoon, dueSoonDays, overdueList, dueSoonList });
}

export function listHosts(db: Database, agencyId: number, page: Page): Paged<HostSummary> {
  const total = (db.prepare('SELECT COUNT(*) AS n FROM agents WHERE agency_id = ?').get(agencyId) as { n: number }).n;
  const rows = db.prepare(`${AGENT_SELECT} WHERE g.agency_id = ? ORDER BY g.hostname, g.key LIMIT ? OFFSET ?`).all(agencyId, page.limit, page.offset) as AgentRow[];
  return paged(rows.map(hostSummary), total, page);
}

export function hostDetail(db: Database, agentId: string): HostDetail {
  const row = db.prepare(`${AGENT_SELECT} WHERE g.id = ?`).get(agentId) as AgentRow | undefined;
  if (!row) throw new AppError('ERR_NOT_FOUND', `host ${agentId} does not exist`);
  const gaps =
    row.seq_count === row.max_seq
      ? []
      : (
          db
            .prepare(
              'SELECT prev + 1 AS "from", seq - 1 AS "to" FROM (SELECT seq, LAG(seq, 1, 0) OVER (ORDER BY seq) AS prev FROM received_seqs WHERE agent_key = ?) ' +
                'WHERE seq > prev + 1 LIMIT 100',
            )
            .all(row.key) as Array<{ from: number; to: number }>
        );
  return { host: hostDetailOf(row), gaps };
}

export function hostResults(db: Database, agentId: string, page: Page, status?: CheckStatus): Paged<StoredResult> {
  const key = agentKey(db, agentId);
  const where = status === undefined ? 'r.agent_key = ?' : 'r.agent_key = ? AND r.status = ?';
  const args: unknown[] = status === undefined ? [key] : [key, status];
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM results r WHERE ${where}`).get(...args) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT ${RESULT_COLUMNS} FROM results r JOIN rules ru ON ru.key = r.rule_key WHERE ${where} ORDER BY ru.id LIMIT ? OFFSET ?`,
    )
    .all(...args, page.limit, page.offset) as ResultRow[];
  return paged(rows.map(toStoredResult), total, page);
}

export function hostHistory(db: Database, agentId: string, page: Page): Paged<StatusChange> {
  const key = agentKey(db, agentId);
  const total = (db.prepare('SELECT COUNT(*) AS n FROM status_history WHERE agent_key = ?').get(key) as { n: number }).n;
  const rows = db
    .prepare(
      'SELECT ru.id AS ruleId, h.from_status AS "from", h.to_status AS "to", h.at, h.seq FROM status_history h JOIN rules ru ON ru.key = h.rule_key ' +
        'WHERE h.agent_key = ? ORDER BY h.id DESC LIMIT ? OFFSET ?',
    )
    .all(key, page.limit, page.offset) as StatusChange[];
  return paged(rows, total, page);
}

function agentKey(db: Database, agentId: string): number {
  const row = db.prepare('SELECT key FROM agents WHERE id = ?').get(agentId) as { key: number } | undefined;
  if (!row) throw new AppError('ERR_NOT_FOUND', `host ${agentId} does not exist`);
  return row.key;
}
