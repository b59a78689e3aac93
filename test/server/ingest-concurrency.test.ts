import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, makeResult } from '../helpers/test-agent.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../helpers/pg-schema.js';

const reachable = await pgReachable();

describe('PostgreSQL for the overlapping-commit tests', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

describe.runIf(reachable)('ingest with overlapping commits (PostgreSQL, ingestConcurrency 4)', () => {
  const schema = newSchemaName();
  let c: TestCollector;
  beforeAll(async () => {
    // Small batches so many commits overlap.
    c = await startTestCollector({ databaseUrl: TEST_PG_URL, databaseSchema: schema, ingestConcurrency: 4, batchMaxResults: 30, flushMs: 1 });
  });
  afterAll(async () => {
    await c?.dispose();
    await dropSchema(schema);
  });

  it('acknowledges each agent\'s frames in seq order and stores every frame exactly once', async () => {
    const agents: Array<{ a: TestAgent; conn: Awaited<ReturnType<TestAgent['connect']>> }> = [];
    for (let i = 0; i < 12; i++) {
      const a = new TestAgent(c.url, `host-${i}`);
      await a.enroll(await c.token('dhs'));
      agents.push({ a, conn: await a.connect() });
    }
    const FRAMES = 40;
    await Promise.all(
      agents.map(async ({ a, conn }) => {
        const acks: number[] = [];
        const done = new Promise<void>((resolve) => {
          conn.socket.ws.on('message', (d) => {
            const f = JSON.parse(String(d)) as { type: string; seq: number; status: string };
            if (f.type !== 'ack') return;
            expect(f.status).toBe('stored');
            acks.push(f.seq);
            if (acks.length === FRAMES) resolve();
            else if (acks.length + conn.welcome.window - 1 < FRAMES) {
              const seq = acks.length + conn.welcome.window;
              conn.socket.send(a.resultsFrame([makeResult(`linux.c.r${seq % 5}`, seq % 2 ? 'fail' : 'pass'), makeResult('linux.c.fixed', 'pass')], { seq, full: false }));
            }
          });
        });
        for (let seq = 1; seq <= conn.welcome.window; seq++) conn.socket.send(a.resultsFrame([makeResult(`linux.c.r${seq % 5}`, seq % 2 ? 'fail' : 'pass'), makeResult('linux.c.fixed', 'pass')], { seq, full: false }));
        await done;
        expect(acks).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
        const detail = await c.store.hostDetail(a.agentId);
        expect(detail.host.delivery).toEqual({ maxSeq: FRAMES, received: FRAMES, missing: 0, complete: true });
        conn.socket.close();
      }),
    );
    const posture = await c.store.posture((await c.store.findAgency('dhs'))!.id, new Date().toISOString(), 14);
    // 12 hosts × (5 alternating rules + 1 fixed): counters equal a recount of the current state.
    expect(posture.counts.total).toBe(12 * 6);
    let pass = 0;
    for (const { a } of agents) pass += (await c.store.hostResults(a.agentId, { limit: 100, offset: 0 }, 'pass')).total;
    expect(posture.counts.pass).toBe(pass);
    expect(c.pipeline.stats.batches).toBeGreaterThan(12);
    expect(c.pipeline.stats.peakConcurrent).toBeGreaterThan(1);
  });
});
