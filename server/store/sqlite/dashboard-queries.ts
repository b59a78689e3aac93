/**
 * @module Dashboard read side of the SQLite store: the agency tree, filtered host/result/finding
 * lists, posture rolled up over components, per-agency overview figures, the daily posture
 * snapshot (trend) and the rule view. Everything reads maintained counters or indexed ranges;
 * agency sets are passed as one JSON array (`IN (SELECT value FROM json_each(?))`).
 */
import type { Database } from 'better-sqlite3';
import { SEVERITY_WEIGHT, type CheckStatus } from '../../../shared/result.js';
import type { Severity } from '../../../shared/rule-pack.js';
import { AppError } from '../../../shared/errors.js';
import type {
  AgencyFigures,
  AgencyNode,
  DailyPosture,
  DirectiveCompliance,
  FailingRule,
  Finding,
  FindingsFilter,
  HostFilter,
  HostSummary,
  Page,
  Paged,
  Posture,
  ResultFilter,
  RuleHost,
  RuleInfo,
  StoredResult,
} from '../store.js';
import { hostSummary } from './posture-queries.js';
import { AGENT_SELECT, type AgentRow } from './rows.js';
import { FINDING_SELECT, toFinding, type FindingRow } from '../finding-rows.js';

const DAY_MS = 86_400_000;
const FAILING_RULES_LIMIT = 100;
const FINDINGS_PREVIEW = 20;
const IN_IDS = 'IN (SELECT value FROM json_each(?))';
/** SQL weight of a rule severity, the same table as SEVERITY_WEIGHT. */
const WEIGHT_SQL = `CASE r.severity ${Object.entries(SEVERITY_WEIGHT)
  .map(([s, w]) => `WHEN '${s}' THEN ${w}`)
  .join(' ')} ELSE 1 END`;

function paged<T>(items: T[], total: number, page: Page): Paged<T> {
  const next = page.offset + items.length;
  return { items, total, limit: page.limit, offset: page.offset, nextOffset: next < total ? next : null };
}

/** LIKE pattern for a case-insensitive substring, with LIKE's wildcards escaped. */
function likeOf(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function agencyTree(db: Database): AgencyNode[] {
  return db
    .prepare('SELECT a.id, a.name, a.parent_id AS parentId, p.name AS parentName FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id ORDER BY a.name')
    .all() as AgencyNode[];
}

export function listHostsFiltered(db: Database, agencyId: number, filter: HostFilter, page: Page): Paged<HostSummary & { agency: string }> {
  const list = filter.agencyIds ?? [agencyId];
  // One agency: `=` walks agents_agency (agency_id, hostname) in order.
  const cond = [list.length === 1 ? 'g.agency_id = ?' : `g.agency_id ${IN_IDS}`];
  const args: unknown[] = [list.length === 1 ? list[0] : JSON.stringify(list)];
  if (filter.q) {
    cond.push("lower(g.hostname) LIKE ? ESCAPE '\\'");
    args.push(likeOf(filter.q));
  }
  if (filter.status) {
    const since = filter.onlineSince ?? new Date(0).toISOString();
    if (filter.status === 'online') cond.push('g.revoked_at IS NULL AND g.last_seen_at >= ?');
    else cond.push('(g.revoked_at IS NOT NULL OR g.last_seen_at IS NULL OR g.last_seen_at < ?)');
    args.push(since);
  }
  const where = cond.join(' AND ');
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM agents g WHERE ${where}`).get(...args) as { n: number }).n;
  const rows = db.prepare(`${AGENT_SELECT} WHERE ${where} ORDER BY g.hostname, g.key LIMIT ? OFFSET ?`).all(...args, page.limit, page.offset) as AgentRow[];
  return paged(
    rows.map((r) => ({ ...hostSummary(r), agency: r.agency_name })),
    total,
    page,
  );
}

const STATUS_RANK = "CASE r.status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'pass' THEN 2 ELSE 3 END";

export function hostResultsFiltered(db: Database, agentId: string, filter: ResultFilter, page: Page): Paged<StoredResult> {
  const key = db.prepare('SELECT key FROM agents WHERE id = ?').get(agentId) as { key: number } | undefined;
  if (!key) throw new AppError('ERR_NOT_FOUND', `host ${agentId} does not exist`);
  const cond = ['r.agent_key = ?'];
  const args: unknown[] = [key.key];
  if (filter.status) {
    cond.push('r.status = ?');
    args.push(filter.status);
  }
  if (filter.severity) {
    cond.push('ru.severity = ?');
    args.push(filter.severity);
  }
  if (filter.directive) {
    cond.push('r.rule_key IN (SELECT rule_key FROM rule_directives WHERE directive = ?)');
    args.push(filter.directive);
  }
  if (filter.q) {
    cond.push("(lower(ru.id) LIKE ? ESCAPE '\\' OR lower(ru.title) LIKE ? ESCAPE '\\')");
    args.push(likeOf(filter.q), likeOf(filter.q));
  }
  const where = cond.join(' AND ');
  const from = 'FROM results r JOIN rules ru ON ru.key = r.rule_key';
  const total = (db.prepare(`SELECT COUNT(*) AS n ${from} WHERE ${where}`).get(...args) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT ru.id AS rule_id, r.status, ru.severity, r.seq, r.scan_id, r.scanned_at, r.changed_at, r.body ${from} WHERE ${where} ` +
        `ORDER BY ${STATUS_RANK}, ${WEIGHT_SQL.replaceAll('r.severity', 'ru.severity')} DESC, ru.id LIMIT ? OFFSET ?`,
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

/**
 * Findings with the dashboard filters. Open findings come overdue first, then by due date
 * (overdue ones are exactly those with the earliest due dates), undated last.
 */
export function listFindingsFiltered(db: Database, agencyId: number, now: string, filter: FindingsFilter, page: Page): Paged<Finding> {
  const ids = filter.agencyIds ?? [agencyId];
  // One agency: `=` lets SQLite walk findings_open_due (agency_id, due_at) in order, no sort.
  const cond = ids.length === 1 ? ['f.agency_id = ?'] : [`f.agency_id ${IN_IDS}`];
  const args: unknown[] = ids.length === 1 ? [ids[0]] : [JSON.stringify(ids)];
  if (filter.state === 'open') cond.push('f.resolved_at IS NULL');
  else if (filter.state === 'overdue') {
    cond.push('f.resolved_at IS NULL AND f.due_at < ?');
    args.push(now);
  } else if (filter.state === 'resolved') cond.push('f.resolved_at IS NOT NULL');
  if (filter.severity) {
    cond.push('r.severity = ?');
    args.push(filter.severity);
  }
  if (filter.directive) {
    cond.push('(f.directive = ? OR f.rule_key IN (SELECT rule_key FROM rule_directives WHERE directive = ?))');
    args.push(filter.directive, filter.directive);
  }
  if (filter.q) {
    cond.push("(lower(g.hostname) LIKE ? ESCAPE '\\' OR lower(r.id) LIKE ? ESCAPE '\\')");
    args.push(likeOf(filter.q), likeOf(filter.q));
  }
  const where = cond.join(' AND ');
  // Counting joins agents and rules only when a filter reads them (the plain count walks the index).
  const from = `FROM findings f${filter.q ? ' JOIN agents g ON g.key = f.agent_key' : ''}${filter.q || filter.severity ? ' JOIN rules r ON r.key = f.rule_key' : ''}`;
  const count = (w: string) => (db.prepare(`SELECT COUNT(*) AS n ${from} WHERE ${w}`).get(...args) as { n: number }).n;
  const rows = (w: string, order: string, limit: number, offset: number) =>
    db.prepare(`${FINDING_SELECT} WHERE ${w} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, limit, offset) as FindingRow[];
  if (filter.state === 'resolved') {
    const total = count(where);
    return paged(rows(where, 'f.resolved_at DESC, f.id', page.limit, page.offset).map((r) => toFinding(r, now)), total, page);
  }
  // Dated findings in due order (index order), then the undated ones.
  const dated = `${where} AND f.due_at IS NOT NULL`;
  const undated = `${where} AND f.due_at IS NULL`;
  const nDated = count(dated);
  const total = nDated + count(undated);
  const items = page.offset < nDated ? rows(dated, 'f.due_at, f.id', page.limit, page.offset) : [];
  if (items.length < page.limit) items.push(...rows(undated, 'f.id', page.limit - items.length, Math.max(0, page.offset - nDated)));
  return paged(
    items.map((r) => toFinding(r, now)),
    total,
    page,
  );
}

interface CounterRow {
  id: string;
  title: string;
  severity: Severity;
  directives: string;
  n_pass: number;
  n_fail: number;
  n_error: number;
  n_na: number;
}

/**
 * Posture of an agency over a set of agencies (itself and its components): the counters of
 * every agency in the set are summed per rule, so the score weighs every host equally
 * (a component with more hosts moves its parent's score more).
 */
export function postureRollup(db: Database, agencyId: number, agencyIds: number[], now: string, dueSoonDays: number): Posture {
  const agency = db.prepare('SELECT a.id, a.name, p.name AS parent_name FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE a.id = ?').get(agencyId) as
    | { id: number; name: string; parent_name: string | null }
    | undefined;
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency ${agencyId} does not exist`);
  const ids = JSON.stringify(agencyIds);
  const hosts = db.prepare(`SELECT COUNT(*) AS total, COUNT(revoked_at) AS revoked FROM agents WHERE agency_id ${IN_IDS}`).get(ids) as { total: number; revoked: number };
  const rows = db
    .prepare(
      'SELECT r.id, r.title, r.severity, r.directives, SUM(c.n_pass) AS n_pass, SUM(c.n_fail) AS n_fail, SUM(c.n_error) AS n_error, SUM(c.n_na) AS n_na ' +
        `FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key WHERE c.agency_id ${IN_IDS} GROUP BY c.rule_key`,
    )
    .all(ids) as CounterRow[];
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
      failing.push({ ruleId: row.id, title: row.title, severity: row.severity, failingHosts: row.n_fail, errorHosts: row.n_error, passingHosts: row.n_pass, directives });
    }
  }
  counts.total = counts.pass + counts.fail + counts.error + counts.notApplicable;
  for (const dc of byDirective.values()) {
    const applicable = dc.pass + dc.fail + dc.error;
    dc.percent = applicable === 0 ? null : round1((100 * dc.pass) / applicable);
  }
  failing.sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || b.failingHosts - a.failingHosts || (a.ruleId < b.ruleId ? -1 : 1));

  const soon = new Date(Date.parse(now) + dueSoonDays * DAY_MS).toISOString();
  const f = db
    .prepare(
      `SELECT COUNT(*) AS open, COALESCE(SUM(due_at < ?), 0) AS overdue, COALESCE(SUM(due_at >= ? AND due_at < ?), 0) AS dueSoon ` +
        `FROM findings WHERE agency_id ${IN_IDS} AND resolved_at IS NULL`,
    )
    .get(now, now, soon, ids) as { open: number; overdue: number; dueSoon: number };
  // Per agency in due-date index order, then merged: no sort over every open finding of the tree.
  const previewStmt = (cond: string) => db.prepare(`${FINDING_SELECT} WHERE f.agency_id = ? AND f.resolved_at IS NULL AND ${cond} ORDER BY f.due_at, f.id LIMIT ?`);
  const preview = (cond: string, ...args: unknown[]) => {
    const stmt = previewStmt(cond);
    const merged = agencyIds.flatMap((id) => stmt.all(id, ...args, FINDINGS_PREVIEW) as FindingRow[]);
    merged.sort((x, y) => (x.due_at! < y.due_at! ? -1 : x.due_at! > y.due_at! ? 1 : x.id - y.id));
    return merged.slice(0, FINDINGS_PREVIEW).map((r) => toFinding(r, now));
  };
  return {
    agency: { id: agency.id, name: agency.name, parentName: agency.parent_name },
    asOf: now,
    hosts: { total: hosts.total - hosts.revoked, revoked: hosts.revoked },
    score: possible === 0 ? null : round1((100 * won) / possible),
    counts,
    failBySeverity,
    directives: [...byDirective.values()].sort((a, b) => (a.directive < b.directive ? -1 : 1)),
    failingRules: failing.slice(0, FAILING_RULES_LIMIT),
    findings: {
      open: f.open,
      overdue: f.overdue,
      dueSoon: f.dueSoon,
      dueSoonDays,
      overdueList: preview('f.due_at < ?', now),
      dueSoonList: preview('f.due_at >= ? AND f.due_at < ?', now, soon),
    },
  };
}

/** Severity-weighted sums of each agency's own counters (one pass over agencies × rules), optionally for some agencies only. */
function weightedSums(db: Database, agencyIds?: number[]): Array<{ agencyId: number; won: number; possible: number }> {
  const only = agencyIds ? `WHERE c.agency_id ${IN_IDS} ` : '';
  return db
    .prepare(
      `SELECT c.agency_id AS agencyId, SUM(${WEIGHT_SQL} * c.n_pass) AS won, SUM(${WEIGHT_SQL} * (c.n_pass + c.n_fail + c.n_error)) AS possible ` +
        `FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key ${only}GROUP BY c.agency_id`,
    )
    .all(...(agencyIds ? [JSON.stringify(agencyIds)] : [])) as Array<{ agencyId: number; won: number; possible: number }>;
}

export function agencyFigures(db: Database, now: string, onlineSince: string, agencyIds?: number[]): AgencyFigures[] {
  const out = new Map<number, AgencyFigures>();
  const get = (id: number): AgencyFigures => {
    let f = out.get(id);
    if (!f) {
      f = { agencyId: id, won: 0, possible: 0, hosts: 0, online: 0, openFindings: 0, overdueFindings: 0 };
      out.set(id, f);
    }
    return f;
  };
  const only = agencyIds ? `agency_id ${IN_IDS}` : '1';
  const ids = agencyIds ? [JSON.stringify(agencyIds)] : [];
  for (const { id } of db.prepare(`SELECT id FROM agencies WHERE ${only.replace('agency_id', 'id')}`).all(...ids) as Array<{ id: number }>) get(id);
  for (const s of weightedSums(db, agencyIds)) Object.assign(get(s.agencyId), { won: s.won, possible: s.possible });
  const hosts = db
    .prepare(`SELECT agency_id AS agencyId, COUNT(*) AS hosts, COALESCE(SUM(last_seen_at >= ?), 0) AS online FROM agents WHERE ${only} AND revoked_at IS NULL GROUP BY agency_id`)
    .all(onlineSince, ...ids) as Array<{ agencyId: number; hosts: number; online: number }>;
  for (const h of hosts) Object.assign(get(h.agencyId), { hosts: h.hosts, online: h.online });
  const findings = db
    .prepare(`SELECT agency_id AS agencyId, COUNT(*) AS open, COALESCE(SUM(due_at < ?), 0) AS overdue FROM findings WHERE ${only} AND resolved_at IS NULL GROUP BY agency_id`)
    .all(now, ...ids) as Array<{ agencyId: number; open: number; overdue: number }>;
  for (const f of findings) Object.assign(get(f.agencyId), { openFindings: f.open, overdueFindings: f.overdue });
  return [...out.values()];
}

/** Upsert `day` for every agency: the given sums (waivers applied by the caller), else the raw counters. */
export function snapshotDailyPosture(db: Database, day: string, given?: Array<{ agencyId: number; won: number; possible: number }>): void {
  const sums = given ?? weightedSums(db);
  const now = new Date().toISOString();
  const upsert = db.prepare(
    'INSERT INTO posture_daily (agency_id, day, won, possible, updated_at) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT(agency_id, day) DO UPDATE SET won = excluded.won, possible = excluded.possible, updated_at = excluded.updated_at',
  );
  db.transaction(() => {
    for (const s of sums) upsert.run(s.agencyId, day, s.won, s.possible, now);
  })();
}

export function dailyPosture(db: Database, fromDay: string): DailyPosture[] {
  return db.prepare('SELECT agency_id AS agencyId, day, won, possible FROM posture_daily WHERE day >= ? ORDER BY day').all(fromDay) as DailyPosture[];
}

export function ruleHosts(db: Database, ruleId: string, agencyIds: number[] | null, status: CheckStatus, page: Page): { rule: RuleInfo; page: Paged<RuleHost> } | null {
  const rule = db.prepare('SELECT key, id, title, severity FROM rules WHERE id = ?').get(ruleId) as { key: number; id: string; title: string; severity: Severity } | undefined;
  if (!rule) return null;
  const scopeCond = agencyIds === null ? '' : ` AND g.agency_id ${IN_IDS}`;
  const scopeArgs: unknown[] = agencyIds === null ? [] : [JSON.stringify(agencyIds)];
  // Rule text comes from a result the caller may see; a rule no visible host reports is unknown to them.
  const sample = db
    .prepare(`SELECT r.body FROM results r JOIN agents g ON g.key = r.agent_key WHERE r.rule_key = ?${scopeCond} LIMIT 1`)
    .get(rule.key, ...scopeArgs) as { body: string } | undefined;
  if (!sample) return null;
  const body = JSON.parse(sample.body) as { remediation?: string };
  const where = `r.rule_key = ? AND r.status = ? AND g.revoked_at IS NULL${scopeCond}`;
  const args = [rule.key, status, ...scopeArgs];
  const from = 'FROM results r JOIN agents g ON g.key = r.agent_key JOIN agencies a ON a.id = g.agency_id';
  const total = (db.prepare(`SELECT COUNT(*) AS n ${from} WHERE ${where}`).get(...args) as { n: number }).n;
  const items = db
    .prepare(
      `SELECT g.id AS agentId, g.hostname, a.name AS agency, r.status, r.changed_at AS since ${from} WHERE ${where} ORDER BY r.changed_at, g.hostname, g.key LIMIT ? OFFSET ?`,
    )
    .all(...args, page.limit, page.offset) as RuleHost[];
  return {
    rule: { ruleId: rule.id, title: rule.title, severity: rule.severity, remediation: body.remediation ?? null },
    page: paged(items, total, page),
  };
}

export function revokeUser(db: Database, name: string, now: string): boolean {
  return db.prepare('UPDATE users SET expires_at = ? WHERE name = ? AND (expires_at IS NULL OR expires_at > ?)').run(now, name, now).changes > 0 ||
    db.prepare('SELECT 1 FROM users WHERE name = ?').get(name) !== undefined;
}

export function agentsLastSeenBetween(db: Database, from: string, to: string): Array<{ agentId: string; agencyId: number; agency: string; hostname: string }> {
  return db
    .prepare(
      'SELECT g.id AS agentId, g.agency_id AS agencyId, a.name AS agency, g.hostname FROM agents g JOIN agencies a ON a.id = g.agency_id ' +
        'WHERE g.revoked_at IS NULL AND g.last_seen_at >= ? AND g.last_seen_at < ? LIMIT 10000',
    )
    .all(from, to) as Array<{ agentId: string; agencyId: number; agency: string; hostname: string }>;
}
