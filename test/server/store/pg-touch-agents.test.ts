import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../../server/store/postgres/pg-store.js';
import { hashToken } from '../../../server/tokens.js';
import type { Agent } from '../../../server/store/store.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../../helpers/pg-schema.js';

const reachable = await pgReachable();
const T0 = '2026-11-20T00:00:00.000Z';

describe('PostgreSQL for last-seen flushes', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

describe.runIf(reachable)('touchAgents while an ingest transaction holds agent rows (PostgreSQL)', () => {
  const schema = newSchemaName();
  let store: PostgresStore;
  let busy: Agent;
  let idle: Agent;
  let holder: pg.Client;
  beforeAll(async () => {
    store = await openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 4 });
    await store.createAgency('dhs');
    const enroll = async (hostname: string) => {
      await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken(`tok-${hostname}`), expiresAt: null, uses: 1, now: T0 });
      return store.enrollAgent({ tokenHash: hashToken(`tok-${hostname}`), publicKey: `key-${hostname}`, hostname, agentVersion: '1.0.0', now: T0 });
    };
    busy = await enroll('busy');
    idle = await enroll('idle');
    holder = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await store?.close();
    await dropSchema(schema);
  });

  it('writes the free rows at once and the held one once it is released, without waiting for it first', async () => {
    // What an ingest batch does first: lock its agents' rows until COMMIT.
    await holder.query('BEGIN');
    await holder.query('SELECT key FROM agents WHERE id = $1 FOR NO KEY UPDATE', [busy.id]);
    const seen = '2026-11-21T00:00:00.000Z';
    let settled = false;
    const touching = store.touchAgents([
      { id: busy.id, lastSeenAt: seen },
      { id: idle.id, lastSeenAt: seen, outboxDepth: 3 },
    ]).finally(() => (settled = true));
    // The idle agent's row is written while the busy one is still held (it used to wait for it).
    let idleRow = await store.getAgent(idle.id);
    for (let i = 0; i < 100 && idleRow?.lastSeenAt !== seen; i++) {
      await new Promise((r) => setTimeout(r, 20));
      idleRow = await store.getAgent(idle.id);
    }
    expect(idleRow).toMatchObject({ lastSeenAt: seen, outboxDepth: 3 });
    expect((await store.getAgent(busy.id))?.lastSeenAt).not.toBe(seen);
    expect(settled).toBe(false);
    await holder.query('COMMIT');
    await touching;
    expect((await store.getAgent(busy.id))?.lastSeenAt).toBe(seen);
  });
});
