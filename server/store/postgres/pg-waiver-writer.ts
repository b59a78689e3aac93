/**
 * @module The WaiverWriter (store/waiver-store.ts) on PostgreSQL: each change, its hosts and its
 * audit entry in one transaction; a change locks the waiver row first, so two replicas editing the
 * same waiver apply one after the other and each audit entry's "before" is what it replaced.
 */
import type pg from 'pg';
import { WAIVER_SQL, auditArgs, insertArgs, updateArgs, type WaiverRow, type WaiverWriter } from '../waiver-store.js';
import { inTransaction } from './pg-pool.js';
import { numberPlaceholders as $ } from './pg-reader.js';

export function pgWaiverWriter(pool: pg.Pool): WaiverWriter {
  return {
    insert: (row, agentIds, audit) =>
      inTransaction(pool, async (c) => {
        const id = (await c.query<{ id: number }>($(WAIVER_SQL.insert), insertArgs(row))).rows[0]!.id;
        if (agentIds.length > 0) await c.query('INSERT INTO waiver_hosts (waiver_id, agent_id) SELECT $1, unnest($2::text[])', [id, agentIds]);
        await c.query($(WAIVER_SQL.audit), auditArgs(audit(id)));
        return id;
      }),
    change: (id, next, audit) =>
      inTransaction(pool, async (c) => {
        const before = (await c.query<WaiverRow>($(`${WAIVER_SQL.selectOne} FOR UPDATE OF w`), [id])).rows[0];
        const after = next(before);
        await c.query($(WAIVER_SQL.update), updateArgs(after));
        await c.query($(WAIVER_SQL.audit), auditArgs(audit(before!, after)));
      }),
  };
}
