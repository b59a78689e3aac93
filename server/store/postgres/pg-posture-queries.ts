/**
 * @module Per-host read side of the PostgreSQL store: host lists, host detail with delivery gaps,
 * current results with evidence and status history. Same answers as store/sqlite/posture-queries.ts
 * (the store contract test holds both to it); row mapping is shared with SQLite.
 */
import type pg from 'pg';
import type { CheckStatus } from '../../../shared/result.js';
import { AppError } from '../../../shared/errors.js';
import type { HostDetail, HostSummary, Page, Paged, StatusChange, StoredResult } from '../store.js';
import { hostDetailOf, hostSummary } from '../host-rows.js';
import { AGENT_SELECT, type AgentRow } from '../sqlite/rows.js';
import { paged } from '../paged.js';
import { RESULT_COLUMNS, toStoredResult, type ResultRow } from '../result-rows.js';

export async function agentKey(pool: pg.Pool, agentId: string): Promise<number> {
  const row = (await pool.query<{ key: number }>('SELECT key FROM agents WHERE id = $1', [agentId])).rows[0];
  if (!row) throw new AppError('ERR_NOT_FOUND', `host ${agentId} does not exist`);
  return row.key;
}

export async function listHosts(pool: pg.Pool, agencyId: number, page: Page): Promise<Paged<HostSummary>> {
  const total = (await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM agents WHERE agency_id = $1', [agencyId])).rows[0]!.n;
  const { rows } = await pool.query<AgentRow>(`${AGENT_SELECT} WHERE g.agency_id = $1 ORDER BY g.hostname, g.key LIMIT $2 OFFSET $3`, [agencyId, page.limit, page.offset]);
  return paged(rows.map(hostSummary), total, page);
}

export async function hostDetail(pool: pg.Pool, agentId: string): Promise<HostDetail> {
  const row = (await pool.query<AgentRow>(`${AGENT_SELECT} WHERE g.id = $1`, [agentId])).rows[0];
  if (!row) throw new AppError('ERR_NOT_FOUND', `host ${agentId} does not exist`);
  const gaps =
    row.seq_count === row.max_seq
      ? []
      : (
          await pool.query<{ from: number; to: number }>(
            'SELECT prev + 1 AS "from", seq - 1 AS "to" FROM (SELECT seq, LAG(seq, 1, 0::bigint) OVER (ORDER BY seq) AS prev FROM received_seqs WHERE agent_key = $1) s ' +
              'WHERE seq > prev + 1 ORDER BY seq LIMIT 100',
            [row.key],
          )
        ).rows;
  return { host: hostDetailOf(row), gaps };
}

export async function hostResults(pool: pg.Pool, agentId: string, page: Page, status?: CheckStatus): Promise<Paged<StoredResult>> {
  const key = await agentKey(pool, agentId);
  const where = status === undefined ? 'r.agent_key = $1' : 'r.agent_key = $1 AND r.status = $2';
  const args: unknown[] = status === undefined ? [key] : [key, status];
  const total = (await pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM results r WHERE ${where}`, args)).rows[0]!.n;
  const n = args.length;
  const { rows } = await pool.query<ResultRow>(
    `SELECT ${RESULT_COLUMNS} FROM results r JOIN rules ru ON ru.key = r.rule_key ` +
      `WHERE ${where} ORDER BY ru.id LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...args, page.limit, page.offset],
  );
  return paged(rows.map(toStoredResult), total, page);
}

export async function hostHistory(pool: pg.Pool, agentId: string, page: Page): Promise<Paged<StatusChange>> {
  const key = await agentKey(pool, agentId);
  const total = (await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM status_history WHERE agent_key = $1', [key])).rows[0]!.n;
  const { rows } = await pool.query<StatusChange>(
    'SELECT ru.id AS "ruleId", h.from_status AS "from", h.to_status AS "to", h.at, h.seq FROM status_history h JOIN rules ru ON ru.key = h.rule_key ' +
      'WHERE h.agent_key = $1 ORDER BY h.id DESC LIMIT $2 OFFSET $3',
    [key, page.limit, page.offset],
  );
  return paged(rows, total, page);
}
