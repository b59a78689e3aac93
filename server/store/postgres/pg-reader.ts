/**
 * @module The SqlReader (store/sql-reader.ts) on PostgreSQL: the neutral SQL's `?` placeholders
 * become `$1, $2, ...` (the neutral SQL never has a `?` inside a string literal), run on the pool
 * or, for a snapshot, on one connection inside a REPEATABLE READ READ ONLY transaction.
 */
import type pg from 'pg';
import type { SqlReader } from '../sql-reader.js';

const numbered = new Map<string, string>();

/** `a = ? AND b = ?` as `a = $1 AND b = $2` (memoised: the statements are a small fixed set). */
export function numberPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size < 1024) numbered.set(sql, out);
  }
  return out;
}

function on(db: pg.Pool | pg.PoolClient, snapshot: SqlReader['snapshot']): SqlReader {
  return {
    async all<T>(sql: string, args: readonly unknown[] = []) {
      return (await db.query(numberPlaceholders(sql), args as unknown[])).rows as T[];
    },
    async get<T>(sql: string, args: readonly unknown[] = []) {
      return (await db.query(numberPlaceholders(sql), args as unknown[])).rows[0] as T | undefined;
    },
    snapshot,
  };
}

export function pgReader(pool: pg.Pool): SqlReader {
  return on(pool, async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Inside a snapshot, a nested snapshot is the same one.
      const inside: SqlReader = on(client, (nested) => nested(inside));
      try {
        return await fn(inside);
      } finally {
        await client.query('COMMIT').catch(() => {});
      }
    } finally {
      client.release();
    }
  });
}
