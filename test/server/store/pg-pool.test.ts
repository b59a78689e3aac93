import type { Socket } from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPool, createPool, inTransaction, queryThenCommit } from '../../../server/store/postgres/pg-pool.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../../helpers/pg-schema.js';

const reachable = await pgReachable();

describe('PostgreSQL for the transaction helpers', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

/** What the client writes to its socket, as text (the protocol messages carry the SQL in clear). */
function recordWrites(client: pg.PoolClient): string[] {
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const writes: string[] = [];
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    writes.push(Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk));
    return write(chunk, ...rest);
  }) as typeof socket.write;
  return writes;
}

describe.runIf(reachable)('pipelined transactions (pg-pool)', () => {
  const schema = newSchemaName();
  let pool: pg.Pool;
  beforeAll(async () => {
    const options = { url: TEST_PG_URL, schema, poolSize: 2 };
    pool = createPool(options);
    await checkPool(pool, options);
    await pool.query('CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)');
  });
  afterAll(async () => {
    await pool?.end();
    await dropSchema(schema);
  });
  const rows = async () => (await pool.query<{ id: number; v: number }>('SELECT id, v FROM t ORDER BY id')).rows;

  it('writes fn\'s first statement before BEGIN is answered (one round trip fewer) and commits what fn wrote', async () => {
    let statusAtStart: string | null = null;
    let sentBeforeBeginAnswered = false;
    await inTransaction(pool, async (c) => {
      statusAtStart = c.getTransactionStatus();
      const written = recordWrites(c);
      const insert = c.query('INSERT INTO t VALUES (1, 1)');
      sentBeforeBeginAnswered = written.some((w) => w.includes('INSERT INTO t'));
      await insert;
      expect(c.getTransactionStatus()).toBe('T');
    });
    // Had BEGIN been awaited, fn would have started inside the transaction ('T').
    expect(statusAtStart).not.toBe('T');
    expect(sentBeforeBeginAnswered).toBe(true);
    expect(await rows()).toEqual([{ id: 1, v: 1 }]);
  });

  it('rolls back everything fn wrote when a later statement fails', async () => {
    await expect(
      inTransaction(pool, async (c) => {
        await c.query('INSERT INTO t VALUES (2, 2)');
        await c.query('INSERT INTO t VALUES (1, 9)');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toEqual([{ id: 1, v: 1 }]);
  });

  it('queryThenCommit writes COMMIT before the last statement is answered, and commits', async () => {
    let written: string[] = [];
    let sentBeforeAnswer = false;
    const result = await inTransaction(pool, async (c) => {
      await c.query('INSERT INTO t VALUES (3, 3)');
      written = recordWrites(c);
      const done = queryThenCommit<{ v: number }>(c, 'UPDATE t SET v = v + $1 WHERE id = 3 RETURNING v', [10]);
      // Synchronously after the call, nothing has been read back yet: COMMIT must already be out.
      sentBeforeAnswer = written.some((w) => w.includes('COMMIT'));
      const r = await done;
      expect(c.getTransactionStatus()).toBe('I');
      return r.rows;
    });
    expect(sentBeforeAnswer).toBe(true);
    expect(written.findIndex((w) => w.includes('UPDATE t'))).toBeLessThan(written.findIndex((w) => w.includes('COMMIT')));
    expect(result).toEqual([{ v: 13 }]);
    expect(await rows()).toEqual([
      { id: 1, v: 1 },
      { id: 3, v: 13 },
    ]);
  });

  it('queryThenCommit on a failing statement throws its error and commits nothing; the connection stays usable', async () => {
    await expect(
      inTransaction(pool, async (c) => {
        await c.query('INSERT INTO t VALUES (4, 4)');
        await queryThenCommit(c, 'INSERT INTO t VALUES (1, 0)', []);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toEqual([
      { id: 1, v: 1 },
      { id: 3, v: 13 },
    ]);
    // Both pooled connections still work (neither was left inside a transaction).
    await Promise.all([inTransaction(pool, (c) => c.query('INSERT INTO t VALUES (5, 5)')), inTransaction(pool, (c) => c.query('INSERT INTO t VALUES (6, 6)'))]);
    expect((await rows()).map((r) => r.id)).toEqual([1, 3, 5, 6]);
  });
});
