import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../../server/store/postgres/pg-store.js';
import type { IngestFrame } from '../../../server/store/store.js';
import { hashToken } from '../../../server/tokens.js';
import { makeResult } from '../../helpers/test-agent.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../../helpers/pg-schema.js';

const reachable = await pgReachable();
const T0 = '2026-11-20T00:00:00.000Z';

describe('PostgreSQL for the ingest statements', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

describe.runIf(reachable)('PostgreSQL ingest statements', () => {
  const schema = newSchemaName();
  let store: PostgresStore;
  beforeAll(async () => {
    // One connection: every batch and the check below share it.
    store = await openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 1 });
  });
  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  });

  it('prepares the three statements every batch runs once per connection, and stores every batch', async () => {
    const agency = await store.createAgency('dhs');
    await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 1, now: T0 });
    const agent = await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname: 'web-1', agentVersion: '1.0.0', now: T0 });
    const frame = (seq: number): IngestFrame => ({
      agentId: agent.id,
      agencyId: agency.id,
      receivedAt: T0,
      frame: { v: 1, type: 'results', seq, scanId: `s${seq}`, scannedAt: T0, packs: [], full: false, results: [makeResult('linux.p.one', seq % 2 ? 'fail' : 'pass')] },
    });
    for (let seq = 1; seq <= 3; seq++) expect(await store.ingest([frame(seq)])).toEqual([{ status: 'stored', changes: [expect.objectContaining({ ruleId: 'linux.p.one' })] }]);
    const { rows } = await store.pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'rampart-ingest-%' ORDER BY name");
    expect(rows.map((r) => r.name)).toEqual(['rampart-ingest-counters', 'rampart-ingest-lock', 'rampart-ingest-results']);
    expect((await store.hostDetail(agent.id)).host.delivery).toMatchObject({ maxSeq: 3, received: 3, complete: true });
  });
});
