import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../server/store/postgres/pg-store.js';
import { API_TOKEN_PREFIX, ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../../server/tokens.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../helpers/pg-schema.js';
import { TestAgent, httpJson, makeResult } from '../helpers/test-agent.js';
import { freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

const reachable = await pgReachable();

describe('PostgreSQL for the replica tests', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

describe.runIf(reachable)('two collector replicas on one PostgreSQL database', () => {
  const schema = newSchemaName();
  const dirs: string[] = [];
  let admin: PostgresStore;
  let a: CollectorProcess;
  let b: CollectorProcess;
  let apiToken: string;

  async function token(uses = 1): Promise<string> {
    const t = generateToken(ENROLL_TOKEN_PREFIX);
    await admin.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken(t), expiresAt: null, uses, now: new Date().toISOString() });
    return t;
  }

  async function start(): Promise<CollectorProcess> {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-replica-'));
    dirs.push(dir);
    return startCollectorProcess(dir, await freePort(), { RAMPART_DATABASE_URL: TEST_PG_URL, RAMPART_DATABASE_SCHEMA: schema });
  }

  /** A dashboard's live socket on a replica; resolves each event as it arrives. */
  async function liveSocket(c: CollectorProcess): Promise<{ ws: WebSocket; events: Array<{ at: number; e: Record<string, unknown> }> }> {
    const t = await httpJson(`${c.url}/api/v1/live/ticket`, { method: 'POST', body: {}, token: apiToken });
    expect(t.status).toBe(200);
    const ws = new WebSocket(`${c.url.replace('http', 'ws')}/api/v1/live?ticket=${(t.body as { ticket: string }).ticket}`);
    const events: Array<{ at: number; e: Record<string, unknown> }> = [];
    ws.on('message', (data) => events.push({ at: Date.now(), e: JSON.parse(String(data)) as Record<string, unknown> }));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { ws, events };
  }

  async function waitFor<T>(fn: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v !== undefined || Date.now() > end) return v;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeAll(async () => {
    admin = await openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 2 });
    await admin.createAgency('dhs');
    apiToken = generateToken(API_TOKEN_PREFIX);
    await admin.createUser({ name: 'soc-1', role: 'admin', tokenHash: hashToken(apiToken), now: new Date().toISOString() });
    [a, b] = await Promise.all([start(), start()]);
  });

  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await admin?.close();
    await dropSchema(schema);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('shows a result ingested by replica A on a dashboard connected to replica B within 1 s', async () => {
    const live = await liveSocket(b);
    const agent = new TestAgent(a.url, 'web-a');
    expect((await agent.enroll(await token())).status).toBe(200);
    const { socket } = await agent.connect();
    socket.send(agent.resultsFrame([makeResult('linux.a.one', 'fail')]));
    await socket.next('ack');
    const acked = Date.now();
    const seen = await waitFor(() => live.events.find((x) => x.e.type === 'result' && x.e.agentId === agent.agentId), 1000);
    expect(seen, `replica B's live socket got: ${JSON.stringify(live.events.map((x) => x.e))}`).toBeDefined();
    expect(seen!.at - acked).toBeLessThanOrEqual(1000);
    expect(seen!.e).toMatchObject({ agency: 'dhs', hostname: 'web-a', ruleId: 'linux.a.one', status: 'fail' });
    // Replica B also serves it over HTTP: one database.
    const results = await httpJson(`${b.url}/api/v1/hosts/${agent.agentId}/results`, { token: apiToken });
    expect(results.status).toBe(200);
    expect(JSON.stringify(results.body)).toContain('linux.a.one');
    socket.close();
    live.ws.close();
  });

  it('loses no acknowledged result when replica A is killed with kill -9 mid-stream; the agent moves to replica B', async () => {
    const agent = new TestAgent(a.url, 'web-b');
    expect((await agent.enroll(await token())).status).toBe(200);
    const { socket, welcome } = await agent.connect();
    const frames = Array.from({ length: 40 }, (_, i) => agent.resultsFrame([makeResult(`linux.k.r${i % 7}`, i % 2 ? 'pass' : 'fail')], { seq: i + 1, full: false }));
    const acked = new Set<number>();
    socket.ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as { type: string; seq?: number };
      if (f.type === 'ack' && f.seq !== undefined) acked.add(f.seq);
    });
    // Stream within the window; kill A once some frames are acknowledged and others are in flight.
    let next = 0;
    const window = welcome.window;
    while (acked.size < 10 && next < frames.length) {
      while (next < frames.length && next - acked.size < window) socket.send(frames[next++]!);
      await new Promise((r) => setTimeout(r, 2));
    }
    await a.kill9();
    const ackedBeforeKill = [...acked];
    expect(ackedBeforeKill.length).toBeGreaterThanOrEqual(10);

    // The agent moves to replica B: B knows every acknowledged seq, the agent resends the rest.
    const moved = new TestAgent(b.url, 'web-b');
    Object.assign(moved, { agentId: agent.agentId, agency: agent.agency, publicKey: agent.publicKey, privateKey: agent.privateKey });
    const again = await moved.connect();
    expect(again.welcome.lastSeq).toBeGreaterThanOrEqual(Math.max(...ackedBeforeKill));
    const pendingSeqs = frames.filter((f) => !acked.has(f.seq));
    for (const f of pendingSeqs) {
      again.socket.send(f);
      await again.socket.next('ack', (x) => x.seq === f.seq);
    }
    const detail = await admin.hostDetail(agent.agentId);
    expect(detail.host.delivery).toEqual({ maxSeq: 40, received: 40, missing: 0, complete: true });
    const history = await admin.hostHistory(agent.agentId, { limit: 1000, offset: 0 });
    // Every frame stored exactly once: each rule changed status at most once per frame, never duplicated.
    expect(new Set(history.items.map((h) => `${h.seq}:${h.ruleId}`)).size).toBe(history.items.length);
    again.socket.close();
  });
});
