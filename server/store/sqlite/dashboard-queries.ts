/**
 * @module Dashboard read side of the SQLite store: the agency tree, filtered host/result/finding
 * lists, posture rolled up over components, per-agency overview figures, the daily posture
 * snapshot (trend) and the rule view. Everything reads maintained counters or indexed ranges;
 * agency sets are passed as one JSON array (`IN (SELECT value FROM json_each(?))`).
 */
import type { Database } from 'better-sqlite3';
import type { CheckStatus } from '../../../shared/result.js';
import type { Severity } from '../../../shared/rule-pack.js';
import { AppError } from '../../../shared/errors.js';
import type {
  AgencyFigures,
  AgencyNode,
  DailyPosture,
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
import { hostSummary } from '../host-rows.js';
import { AGENT_SELECT, type AgentRow } from './rows.js';
import { FINDING_SELECT, toFinding, type FindingRow } from '../finding-rows.js';
import { agencyFiguresOf, dueSoonEnd, FINDINGS_PREVIEW, postureOf, type CounterRow, type PostureAgencyRow, type WeightedSums } from '../posture-rollup.js';
import { RESULT_COLUMNS, toStoredResult, type ResultRow } from '../result-rows.js';
import { likeOf, STATUS_RANK, WEIGHT_SQL } from '../dashboard-sql.js';
import { paged } from '../paged.js';

const IN_IDS = 'IN (SELECT value FROM json_each(?))';

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
      `SELECT ${RESULT_COLUMNS} ${from} WHERE ${where} ` +
        `ORDER BY ${STATUS_RANK}, ${WEIGHT_SQL.replaceAll('r.severity', 'ru.severity')} DESC, ru.id LIMIT ? OFFSET ?`,
    )
    .all(...args, page.limit, page.offset) as ResultRow[];
  return paged(rows.map(toStoredResult), total, page);
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

/**
 * Posture of an agency over a set of agencies (itself and its components): the counters of
 * every agency in the set are summed per rule, so the score weighs every host equally
 * (a component with more hosts moves its parent's score more).
 */
export function postureRollup(db: Database, agencyId: number, agencyIds: number[], now: string, dueSoonDays: number): Posture {
  const agency = db.prepare('SELECT a.id, a.name, p.name AS parent_name FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE a.id = ?').get(agencyId) as
    | PostureAgencyRow
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

  const soon = dueSoonEnd(now, dueSoonDays);
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
  return postureOf(agency, hosts, rows, now, {
    open: f.open,
    overdue: f.overdue,
    dueSoon: f.dueSoon,
    dueSoonDays,
    overdueList: preview('f.due_at < ?', now),
    dueSoonList: preview('f.due_at >= ? AND f.due_at < ?', now, soon),
  });
}

/** Severity-weighted sums of each agency's own counters (one pass over agencies × rules), optionally for some agencies only. */
function weightedSums(db: Database, agencyIds?: number[]): WeightedSums[] {
  const only = agencyIds ? `WHERE c.agency_id ${IN_IDS} ` : '';
  return db
    .prepare(
      `SELECT c.agency_id AS agencyId, SUM(${WEIGHT_SQL} * c.n_pass) AS won, SUM(${WEIGHT_SQL} * (c.n_pass + c.n_fail + c.n_error)) AS possible ` +
        `FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key ${only}GROUP BY c.agency_id`,
    )
    .all(...(agencyIds ? [JSON.stringify(agencyIds)] : [])) as WeightedSums[];
}

export function agencyFigures(db: Database, now: string, onlineSince: string, agencyIds?: number[]): AgencyFigures[] {
  const only = agencyIds ? `agency_id ${IN_IDS}` : '1';
  const ids = agencyIds ? [JSON.stringify(agencyIds)] : [];
  const agencies = db.prepare(`SELECT id FROM agencies WHERE ${only.replace('agency_id', 'id')}`).all(...ids) as Array<{ id: number }>;
  const hosts = db
    .prepare(`SELECT agency_id AS agencyId, COUNT(*) AS hosts, COALESCE(SUM(last_seen_at >= ?), 0) AS online FROM agents WHERE ${only} AND revoked_at IS NULL GROUP BY agency_id`)
    .all(onlineSince, ...ids) as Array<{ agencyId: number; hosts: number; online: number }>;
  const findings = db
    .prepare(`SELECT agency_id AS agencyId, COUNT(*) AS open, COALESCE(SUM(due_at < ?), 0) AS overdue FROM findings WHERE ${only} AND resolved_at IS NULL GROUP BY agency_id`)
    .all(now, ...ids) as Array<{ agencyId: number; open: number; overdue: number }>;
  return agencyFiguresOf(
    agencies.map((a) => a.id),
    weightedSums(db, agencyIds),
    hosts,
    findings,
  );
}

/** Upsert `day` for every agency: the given sums (waivers applied by the caller), else the raw counters. */
export function snapshotDailyPosture(db: Database, day: string, given?: WeightedSums[]): void {
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
