import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDigest } from '../../shared/state-digest.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, httpJson, makeResult } from '../helpers/test-agent.js';

let c: TestCollector;
let admin: string;
beforeAll(async () => {
  c = await startTestCollector({ revocationPollMs: 100 });
  admin = await c.apiToken('admin');
});
afterAll(async () => c?.dispose());

async function connected(agency = 'dhs') {
  const agent = new TestAgent(c.url);
  await agent.enroll(await c.token(agency));
  return { agent, ...(await agent.connect()) };
}

describe('delivery: acks, idempotency, completeness, resync, revocation', () => {
  it('acknowledges a repeated seq as duplicate and stores it once', async () => {
    const { agent, socket } = await connected();
    const frame = agent.resultsFrame([makeResult('linux.d.one', 'fail')]);
    socket.send(frame);
    expect(await socket.next('ack')).toMatchObject({ seq: 1, status: 'stored' });
    socket.send(frame);
    expect(await socket.next('ack')).toMatchObject({ seq: 1, status: 'duplicate' });
    const results = await httpJson(`${c.url}/api/v1/hosts/${agent.agentId}/results`, { token: admin });
    expect((results.body as { total: number }).total).toBe(1);
    const history = await httpJson(`${c.url}/api/v1/hosts/${agent.agentId}/history`, { token: admin });
    expect((history.body as { total: number }).total).toBe(1);
    socket.close();
  });

  it('acknowledges a frame only when another connection to the database can already read it', async () => {
    const { agent, socket } = await connected();
    const Database = (await import('better-sqlite3')).default;
    const path = await import('node:path');
    // A separate connection, as another process would have: it sees only committed data.
    const reader = new Database(path.join(c.dataDir, 'rampart.db'), { readonly: true });
    const stored = reader.prepare('SELECT COUNT(*) AS n FROM received_seqs s JOIN agents a ON a.key = s.agent_key WHERE a.id = ? AND s.seq = ?');
    for (let i = 0; i < 5; i++) {
      socket.send(agent.resultsFrame([makeResult('linux.d.commit', i % 2 ? 'pass' : 'fail')]));
      const ack = await socket.next('ack');
      expect((stored.get(agent.agentId, ack.seq) as { n: number }).n).toBe(1);
    }
    reader.close();
    socket.close();
  });

  it('announces the highest committed seq in welcome after a reconnect', async () => {
    const { agent, socket } = await connected();
    for (let i = 0; i < 3; i++) socket.send(agent.resultsFrame([makeResult('linux.d.one', 'pass')]));
    await socket.next('ack', (a) => a.seq === 3);
    socket.close();
    await socket.closed;
    const again = await agent.connect();
    expect(again.welcome.lastSeq).toBe(3);
    again.socket.close();
  });

  it('reports gaps in a host delivered sequence through the API', async () => {
    const { agent, socket } = await connected();
    for (const seq of [1, 2, 4, 7]) socket.send(agent.resultsFrame([makeResult('linux.d.one', 'pass')], { seq }));
    await socket.next('ack', (a) => a.seq === 7);
    const detail = await httpJson(`${c.url}/api/v1/hosts/${agent.agentId}`, { token: admin });
    expect(detail.body).toMatchObject({ host: { delivery: { maxSeq: 7, received: 4, missing: 3, complete: false }, online: true }, gaps: [{ from: 3, to: 3 }, { from: 5, to: 6 }] });
    socket.close();
  });

  it('answers a digest that does not match the stored state with resync', async () => {
    const { agent, socket } = await connected();
    const state = [makeResult('linux.d.one', 'pass'), makeResult('linux.d.two', 'fail')];
    socket.send(agent.resultsFrame(state, { full: true }));
    await socket.next('ack', (a) => a.seq === 1);
    socket.send({ v: 1, type: 'digest', seq: ++agent.seq, scanId: 's', scannedAt: new Date().toISOString(), ...stateDigest(state) });
    await socket.next('ack', (a) => a.seq === 2);
    const wrong = stateDigest([makeResult('linux.d.one', 'pass')]);
    socket.send({ v: 1, type: 'digest', seq: ++agent.seq, scanId: 's', scannedAt: new Date().toISOString(), ...wrong });
    await socket.next('ack', (a) => a.seq === 3);
    expect(await socket.next('resync')).toMatchObject({ reason: 'digest-mismatch' });
    expect(socket.received().filter((f) => f.type === 'resync')).toHaveLength(0);
    socket.close();
  });

  it('closes a live socket at once when the agent is revoked through the API (4401), and refuses it afterwards', async () => {
    const { agent, socket } = await connected();
    const answer = await httpJson(`${c.url}/api/v1/agents/${agent.agentId}/revoke`, { method: 'POST', token: admin });
    expect(answer.body).toMatchObject({ revoked: true, closedLiveConnection: true });
    expect((await socket.closed).code).toBe(4401);
    const again = await agent.upgrade();
    expect(again.ok).toBe(false);
  });

  it('closes a live socket when another process (the CLI) revokes the agent in the database', async () => {
    const { agent, socket } = await connected();
    // The CLI opens its own connection to the same file.
    const { openSqliteStore } = await import('../../server/store/sqlite/sqlite-store.js');
    const cli = await openSqliteStore(c.dataDir);
    await cli.revokeAgent(agent.agentId, new Date().toISOString());
    await cli.close();
    expect((await socket.closed).code).toBe(4401);
  });

  it('keeps the heartbeat frame out of storage and the ack stream', async () => {
    const { agent, socket } = await connected();
    socket.send({ v: 1, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: 3, dropped: 0 });
    socket.send(agent.resultsFrame([makeResult('linux.d.one', 'pass')]));
    expect(await socket.next('ack')).toMatchObject({ seq: 1 });
    expect(socket.received()).toEqual([]);
    socket.close();
  });
});
