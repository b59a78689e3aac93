/**
 * @module Read side of the SQLite store: posture from the maintained per-agency counters, host
 * lists, per-host results with evidence, delivery gaps and findings. No query scans the results
 * of a whole agency.
 */
import type { Database } from 'better-sqlite3';
import { SEVERITY_WEIGHT, type CheckStatus } from '../../../shared/result.js';
import type { Severity } from '../../../shared/rule-pack.js';
import { AppError } from '../../../shared/errors.js';
import type {
  DirectiveCompliance,
  FailingRule,
  Finding,
  FindingsFilter,
  HostDetail,
  HostSummary,
  Page,
  Paged,
  Posture,
  StatusChange,
  StoredResult,
} from '../store.js';
import { AGENT_SELECT, countsOf, type AgentRow } from './rows.js';
import { FINDING_SELECT, toFinding, type FindingRow } from '../finding-rows.js';

const DAY_MS = 86_400_000;
const FAILING_RULES_LIMIT = 100;
const FINDINGS_PREVIEW = 20;

interface CounterRow {
  rule_key: number;
  id: string;
  title: string;
  severity: Severity;
  directives: string;
  n_pass: number;
  n_fail: number;
  n_error: number;
  n_na: number;
}

function paged<T>(items: T[], total: number, page: Page): Paged<T> {
  const next = page.offset + items.length;
  return { items, total, limit: page.limit, offset: page.offset, nextOffset: next < total ? next : null };
}

export function hostSummary(r: AgentRow): HostSummary {
  return {
    agentId: r.id,
    hostname: r.hostname,
    os: r.os,
    agentVersion: r.agent_version,
    enrolledAt: r.enrolled_at,
    revoked: r.revoked_at !== null,
    lastSeenAt: r.last_seen_at,
    lastScanAt: r.last_scan_at,
    counts: countsOf(r),
    delivery: { maxSeq: r.max_seq, received: r.seq_count, missing: r.max_seq - r.seq_count, complete: r.seq_count === r.max_seq },
  };
}

export function posture(db: Database, agencyId: number, now: string, dueSoonDays: number): Posture {
  const agency = db.prepare('SELECT a.id, a.name, p.name AS parent_name FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE a.id = ?').get(agencyId) as
    | { id: number; name: string; parent_name: string | null }
    | undefined;
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency ${agencyId} does not exist`);
  const hosts = db
    .prepare('SELECT COUNT(*) AS total, COUNT(revoked_at) AS revoked FROM agents WHERE agency_id = ?')
    .get(agencyId) as { total: number; revoked: number };
  const rows = db
    .prepare(
      'SELECT c.rule_key, r.id, r.title, r.severity, r.directives, c.n_pass, c.n_fail, c.n_error, c.n_na ' +
        'FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key WHERE c.agency_id = ?',
    )
    .all(agencyId) as CounterRow[];

  let won = 0;
  let possible = 0;
  const counts = { total: 0, pass: 0, fail: 0, error: 0, notApplicable: 0 };
  const failBySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  const byDirective = new Map<string, DirectiveCompliance>();
  const failing: FailingRule[] = [];
  for (const row of rows) {
    const w = SEVERITY_WEIGHT[row.severity] ?? 1;
    won += w * row.n_pass;
    possible += w * (row.n_pass + row.n_fail + row.n_error);
    counts.pass += row.n_pass;
    counts.fail += row.n_fail;
    counts.error += row.n_error;
    counts.notApplicable += row.n_na;
    failBySeverity[row.severity] += row.n_fail;
    const directives = JSON.parse(row.directives) as string[];
    for (const d of directives) {
      let dc = byDirective.get(d);
      if (!dc) {
        dc = { directive: d, rules: 0, pass: 0, fail: 0, error: 0, percent: null };
        byDirective.set(d, dc);
      }
      dc.rules += 1;
      dc.pass += row.n_pass;
      dc.fail += row.n_fail;
      dc.error += row.n_error;
    }
    if (row.n_fail > 0) {
      failing.push({
        ruleId: row.id,
        title: row.title,
        severity: row.severity,
        failingHosts: row.n_fail,
        errorHosts: row.n_error,
        passingHosts: row.n_pass,
        directives,
      });
    }
  }
  counts.total = counts.pass + counts.fail + counts.error + counts.notApplicable;
  for (const dc of byDirective.values()) {
    const applicable = dc.pass + dc.fail + dc.error;
    dc.percent = applicable === 0 ? null : round1((100 * dc.pass) / applicable);
  }
  failing.sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || b.failingHosts - a.failingHosts || (a.ruleId < b.ruleId ? -1 : 1));

  const soon = new Date(Date.parse(now) + dueSoonDays * DAY_MS).toISOString();
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

  return {
    agency: { id: agency.id, name: agency.name, parentName: agency.parent_name },
    asOf: now,
    hosts: { total: hosts.total - hosts.revoked, revoked: hosts.revoked },
    score: possible === 0 ? null : round1((100 * won) / possible),
    counts,
    failBySeverity,
    directives: [...byDirective.values()].sort((a, b) => (a.directive < b.directive ? -1 : 1)),
    failingRules: failing.slice(0, FAILING_RULES_LIMIT),
    findings: { open, overdue, dueSoon, dueSoonDays, overdueList, dueSoonList },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
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
  return {
    host: {
      ...hostSummary(row),
      agency: row.agency_name,
      facts: row.host_facts === null ? null : JSON.parse(row.host_facts),
      packs: row.packs === null ? [] : JSON.parse(row.packs),
    },
    gaps,
  };
}

export function hostResults(db: Database, agentId: string, page: Page, status?: CheckStatus): Paged<StoredResult> {
  const key = agentKey(db, agentId);
  const where = status === undefined ? 'r.agent_key = ?' : 'r.agent_key = ? AND r.status = ?';
  const args: unknown[] = status === undefined ? [key] : [key, status];
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM results r WHERE ${where}`).get(...args) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT ru.id AS rule_id, r.status, ru.severity, r.seq, r.scan_id, r.scanned_at, r.changed_at, r.body FROM results r JOIN rules ru ON ru.key = r.rule_key ` +
        `WHERE ${where} ORDER BY ru.id LIMIT ? OFFSET ?`,
    )
    .all(...args, page.limit, page.offset) as Array<{
    rule_id: string;
    status: CheckStatus;
    severity: Severity;
    seq: number;
    scan_id: string;
    scanned_at: string;
    changed_at: string;
    body: string;
  }>;
  return paged(
    rows.map((r) => ({
      ruleId: r.rule_id,
      status: r.status,
      severity: r.severity,
      seq: r.seq,
      scanId: r.scan_id,
      scannedAt: r.scanned_at,
      changedAt: r.changed_at,
      result: JSON.parse(r.body),
    })),
    total,
    page,
  );
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

export function listFindings(db: Database, agencyId: number, now: string, filter: FindingsFilter, page: Page): Paged<Finding> {
  const cond: Record<FindingsFilter['state'], string> = {
    open: 'f.agency_id = ? AND f.resolved_at IS NULL',
    overdue: 'f.agency_id = ? AND f.resolved_at IS NULL AND f.due_at < ?',
    resolved: 'f.agency_id = ? AND f.resolved_at IS NOT NULL',
    all: 'f.agency_id = ?',
  };
  const where = cond[filter.state];
  const args: unknown[] = filter.state === 'overdue' ? [agencyId, now] : [agencyId];
  const order = filter.state === 'resolved' ? 'f.resolved_at DESC, f.id' : 'f.due_at IS NULL, f.due_at, f.id';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM findings f WHERE ${where}`).get(...args) as { n: number }).n;
  const rows = db.prepare(`${FINDING_SELECT} WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, page.limit, page.offset) as FindingRow[];
  return paged(
    rows.map((r) => toFinding(r, now)),
    total,
    page,
  );
}

function agentKey(db: Database, agentId: string): number {
  const row = db.prepare('SELECT key FROM agents WHERE id = ?').get(agentId) as { key: number } | undefined;
  if (!row) throw new AppError('ERR_NOT_FOUND', `host ${agentId} does not exist`);
  return row.key;
}
