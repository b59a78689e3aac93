/**
 * @module Agency-level read side of the PostgreSQL store: the agency tree, filtered host/result/
 * finding lists, posture rolled up over components (from the maintained counters), per-agency
 * overview figures, the daily posture snapshot and the rule view. Same answers as
 * store/sqlite/dashboard-queries.ts; agency sets travel as one int[] parameter (`= ANY($n)`).
 */
import type pg from 'pg';
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
import { AGENT_SELECT, type AgentRow } from '../sqlite/rows.js';
import { agentKey } from './pg-posture-queries.js';
import { FINDING_SELECT, toFinding, type FindingRow } from '../finding-rows.js';
import { agencyFiguresOf, dueSoonEnd, FINDINGS_PREVIEW, postureOf, type CounterRow, type PostureAgencyRow, type WeightedSums } from '../posture-rollup.js';
import { RESULT_COLUMNS, toStoredResult, type ResultRow } from '../result-rows.js';
import { likeOf, STATUS_RANK, WEIGHT_SQL } from '../dashboard-sql.js';
import { paged } from '../paged.js';

/** Positional parameters built alongside the SQL text: `p.add(v)` returns "$n". */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

export async function agencyTree(pool: pg.Pool): Promise<AgencyNode[]> {
  return (
    await pool.query<AgencyNode>(
      'SELECT a.id, a.name, a.parent_id AS "parentId", p.name AS "parentName" FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id ORDER BY a.name',
    )
  ).rows;
}

export async function listHostsFiltered(pool: pg.Pool, agencyId: number, filter: HostFilter, page: Page): Promise<Paged<HostSummary & { agency: string }>> {
  const p = new Params();
  const cond = [`g.agency_id = ANY(${p.add(filter.agencyIds ?? [agencyId])}::int[])`];
  if (filter.q) cond.push(`lower(g.hostname) LIKE ${p.add(likeOf(filter.q))}`);
  if (filter.status) {
    const since = p.add(filter.onlineSince ?? new Date(0).toISOString());
    if (filter.status === 'online') cond.push(`g.revoked_at IS NULL AND g.last_seen_at >= ${since}`);
    else cond.push(`(g.revoked_at IS NOT NULL OR g.last_seen_at IS NULL OR g.last_seen_at < ${since})`);
  }
  const where = cond.join(' AND ');
  const total = (await pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM agents g WHERE ${where}`, p.values)).rows[0]!.n;
  const { rows } = await pool.query<AgentRow>(`${AGENT_SELECT} WHERE ${where} ORDER BY g.hostname, g.key LIMIT ${p.add(page.limit)} OFFSET ${p.add(page.offset)}`, p.values);
  return paged(
    rows.map((r) => ({ ...hostSummary(r), agency: r.agency_name })),
    total,
    page,
  );
}

export async function hostResultsFiltered(pool: pg.Pool, agentId: string, filter: ResultFilter, page: Page): Promise<Paged<StoredResult>> {
  const key = await agentKey(pool, agentId);
  const p = new Params();
  const cond = [`r.agent_key = ${p.add(key)}`];
  if (filter.status) cond.push(`r.status = ${p.add(filter.status)}`);
  if (filter.severity) cond.push(`ru.severity = ${p.add(filter.severity)}`);
  if (filter.directive) cond.push(`r.rule_key IN (SELECT rule_key FROM rule_directives WHERE directive = ${p.add(filter.directive)})`);
  if (filter.q) {
    const like = p.add(likeOf(filter.q));
    cond.push(`(lower(ru.id) LIKE ${like} OR lower(ru.title) LIKE ${like})`);
  }
  const where = cond.join(' AND ');
  const from = 'FROM results r JOIN rules ru ON ru.key = r.rule_key';
  const total = (await pool.query<{ n: number }>(`SELECT COUNT(*) AS n ${from} WHERE ${where}`, p.values)).rows[0]!.n;
  const { rows } = await pool.query<ResultRow>(
    `SELECT ${RESULT_COLUMNS} ${from} WHERE ${where} ` +
      `ORDER BY ${STATUS_RANK}, ${WEIGHT_SQL.replaceAll('r.severity', 'ru.severity')} DESC, ru.id LIMIT ${p.add(page.limit)} OFFSET ${p.add(page.offset)}`,
    p.values,
  );
  return paged(rows.map(toStoredResult), total, page);
}

/** Findings of an agency (or agency set) with the optional dashboard filters; order as on SQLite. */
export async function listFindingsFiltered(pool: pg.Pool, agencyId: number, now: string, filter: FindingsFilter, page: Page): Promise<Paged<Finding>> {
  const p = new Params();
  const cond = [`f.agency_id = ANY(${p.add(filter.agencyIds ?? [agencyId])}::int[])`];
  if (filter.state === 'open') cond.push('f.resolved_at IS NULL');
  else if (filter.state === 'overdue') cond.push(`f.resolved_at IS NULL AND f.due_at < ${p.add(now)}`);
  else if (filter.state === 'resolved') cond.push('f.resolved_at IS NOT NULL');
  if (filter.severity) cond.push(`r.severity = ${p.add(filter.severity)}`);
  if (filter.directive) {
    const d = p.add(filter.directive);
    cond.push(`(f.directive = ${d} OR f.rule_key IN (SELECT rule_key FROM rule_directives WHERE directive = ${d}))`);
  }
  if (filter.q) {
    const like = p.add(likeOf(filter.q));
    cond.push(`(lower(g.hostname) LIKE ${like} OR lower(r.id) LIKE ${like})`);
  }
  const where = cond.join(' AND ');
  const order = filter.state === 'resolved' ? 'f.resolved_at DESC, f.id' : 'f.due_at IS NULL, f.due_at, f.id';
  const from = 'FROM findings f JOIN agents g ON g.key = f.agent_key JOIN rules r ON r.key = f.rule_key';
  const total = (await pool.query<{ n: number }>(`SELECT COUNT(*) AS n ${from} WHERE ${where}`, p.values)).rows[0]!.n;
  const { rows } = await pool.query<FindingRow>(`${FINDING_SELECT} WHERE ${where} ORDER BY ${order} LIMIT ${p.add(page.limit)} OFFSET ${p.add(page.offset)}`, p.values);
  return paged(
    rows.map((r) => toFinding(r, now)),
    total,
    page,
  );
}

/** Posture of an agency over a set of agencies (itself and its components), from the counters. */
export async function postureRollup(pool: pg.Pool, agencyId: number, agencyIds: number[], now: string, dueSoonDays: number): Promise<Posture> {
  const agency = (
    await pool.query<PostureAgencyRow>('SELECT a.id, a.name, p.name AS parent_name FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE a.id = $1', [agencyId])
  ).rows[0];
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency ${agencyId} does not exist`);
  const hosts = (await pool.query<{ total: number; revoked: number }>('SELECT COUNT(*) AS total, COUNT(revoked_at) AS revoked FROM agents WHERE agency_id = ANY($1::int[])', [agencyIds]))
    .rows[0]!;
  const { rows } = await pool.query<CounterRow>(
    'SELECT r.id, r.title, r.severity, r.directives, SUM(c.n_pass) AS n_pass, SUM(c.n_fail) AS n_fail, SUM(c.n_error) AS n_error, SUM(c.n_na) AS n_na ' +
      'FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key WHERE c.agency_id = ANY($1::int[]) GROUP BY c.rule_key, r.id, r.title, r.severity, r.directives',
    [agencyIds],
  );

  const soon = dueSoonEnd(now, dueSoonDays);
  const f = (
    await pool.query<{ open: number; overdue: number; dueSoon: number }>(
      'SELECT COUNT(*) AS open, COUNT(*) FILTER (WHERE due_at < $1) AS overdue, COUNT(*) FILTER (WHERE due_at >= $1 AND due_at < $2) AS "dueSoon" ' +
        'FROM findings WHERE agency_id = ANY($3::int[]) AND resolved_at IS NULL',
      [now, soon, agencyIds],
    )
  ).rows[0]!;
  const preview = async (cond: string, args: unknown[]) =>
    (
      await pool.query<FindingRow>(`${FINDING_SELECT} WHERE f.agency_id = ANY($1::int[]) AND f.resolved_at IS NULL AND ${cond} ORDER BY f.due_at, f.id LIMIT ${FINDINGS_PREVIEW}`, [
        agencyIds,
        ...args,
      ])
    ).rows.map((r) => toFinding(r, now));
  return postureOf(agency, hosts, rows, now, {
    open: f.open,
    overdue: f.overdue,
    dueSoon: f.dueSoon,
    dueSoonDays,
    overdueList: await preview('f.due_at < $2', [now]),
    dueSoonList: await preview('f.due_at >= $2 AND f.due_at < $3', [now, soon]),
  });
}

async function weightedSums(db: pg.Pool | pg.PoolClient): Promise<WeightedSums[]> {
  return (
    await db.query<WeightedSums>(
      `SELECT c.agency_id AS "agencyId", SUM(${WEIGHT_SQL} * c.n_pass)::float8 AS won, SUM(${WEIGHT_SQL} * (c.n_pass + c.n_fail + c.n_error))::float8 AS possible ` +
        'FROM agency_rule_counts c JOIN rules r ON r.key = c.rule_key GROUP BY c.agency_id',
    )
  ).rows;
}

export async function agencyFigures(pool: pg.Pool, now: string, onlineSince: string): Promise<AgencyFigures[]> {
  const agencies = (await pool.query<{ id: number }>('SELECT id FROM agencies ORDER BY id')).rows;
  const sums = await weightedSums(pool);
  const hosts = await pool.query<{ agencyId: number; hosts: number; online: number }>(
    'SELECT agency_id AS "agencyId", COUNT(*) AS hosts, COUNT(*) FILTER (WHERE last_seen_at >= $1) AS online FROM agents WHERE revoked_at IS NULL GROUP BY agency_id',
    [onlineSince],
  );
  const findings = await pool.query<{ agencyId: number; open: number; overdue: number }>(
    'SELECT agency_id AS "agencyId", COUNT(*) AS open, COUNT(*) FILTER (WHERE due_at < $1) AS overdue FROM findings WHERE resolved_at IS NULL GROUP BY agency_id',
    [now],
  );
  return agencyFiguresOf(
    agencies.map((a) => a.id),
    sums,
    hosts.rows,
    findings.rows,
  );
}

/** Upsert `day` for every agency: the given sums (waivers applied by the caller), else the raw counters. */
export async function snapshotDailyPosture(pool: pg.Pool, day: string, given?: WeightedSums[]): Promise<void> {
  const sums = given ?? (await weightedSums(pool));
  if (sums.length === 0) return;
  await pool.query(
    `INSERT INTO posture_daily (agency_id, day, won, possible, updated_at)
       SELECT s.agency_id, $1, s.won, s.possible, $2 FROM unnest($3::int[], $4::float8[], $5::float8[]) AS s(agency_id, won, possible)
     ON CONFLICT (agency_id, day) DO UPDATE SET won = excluded.won, possible = excluded.possible, updated_at = excluded.updated_at`,
    [day, new Date().toISOString(), sums.map((s) => s.agencyId), sums.map((s) => s.won), sums.map((s) => s.possible)],
  );
}

export async function dailyPosture(pool: pg.Pool, fromDay: string): Promise<DailyPosture[]> {
  return (await pool.query<DailyPosture>('SELECT agency_id AS "agencyId", day, won, possible FROM posture_daily WHERE day >= $1 ORDER BY day, agency_id', [fromDay])).rows;
}

export async function ruleHosts(
  pool: pg.Pool,
  ruleId: string,
  agencyIds: number[] | null,
  status: CheckStatus,
  page: Page,
): Promise<{ rule: RuleInfo; page: Paged<RuleHost> } | null> {
  const rule = (await pool.query<{ key: number; id: string; title: string; severity: Severity }>('SELECT key, id, title, severity FROM rules WHERE id = $1', [ruleId])).rows[0];
  if (!rule) return null;
  const scopeCond = agencyIds === null ? '' : ' AND g.agency_id = ANY($2::int[])';
  const scopeArgs: unknown[] = agencyIds === null ? [] : [agencyIds];
  const sample = (await pool.query<{ body: string }>(`SELECT r.body FROM results r JOIN agents g ON g.key = r.agent_key WHERE r.rule_key = $1${scopeCond} LIMIT 1`, [rule.key, ...scopeArgs]))
    .rows[0];
  if (!sample) return null;
  const body = JSON.parse(sample.body) as { remediation?: string };
  const n = scopeArgs.length + 2;
  const where = `r.rule_key = $1${scopeCond} AND r.status = $${n} AND g.revoked_at IS NULL`;
  const args = [rule.key, ...scopeArgs, status];
  const from = 'FROM results r JOIN agents g ON g.key = r.agent_key JOIN agencies a ON a.id = g.agency_id';
  const total = (await pool.query<{ n: number }>(`SELECT COUNT(*) AS n ${from} WHERE ${where}`, args)).rows[0]!.n;
  const items = (
    await pool.query<RuleHost>(
      `SELECT g.id AS "agentId", g.hostname, a.name AS agency, r.status, r.changed_at AS since ${from} WHERE ${where} ORDER BY r.changed_at, g.hostname, g.key LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...args, page.limit, page.offset],
    )
  ).rows;
  return {
    rule: { ruleId: rule.id, title: rule.title, severity: rule.severity, remediation: body.remediation ?? null },
    page: paged(items, total, page),
  };
}

export async function revokeUser(pool: pg.Pool, name: string, now: string): Promise<boolean> {
  const changed = await pool.query('UPDATE users SET expires_at = $1 WHERE name = $2 AND (expires_at IS NULL OR expires_at > $1)', [now, name]);
  if ((changed.rowCount ?? 0) > 0) return true;
  return (await pool.query('SELECT 1 FROM users WHERE name = $1', [name])).rows.length > 0;
}

export async function agentsLastSeenBetween(pool: pg.Pool, from: string, to: string): Promise<Array<{ agentId: string; agencyId: number; agency: string; hostname: string }>> {
  return (
    await pool.query<{ agentId: string; agencyId: number; agency: string; hostname: string }>(
      'SELECT g.id AS "agentId", g.agency_id AS "agencyId", a.name AS agency, g.hostname FROM agents g JOIN agencies a ON a.id = g.agency_id ' +
        'WHERE g.revoked_at IS NULL AND g.last_seen_at >= $1 AND g.last_seen_at < $2 LIMIT 10000',
      [from, to],
    )
  ).rows;
}
