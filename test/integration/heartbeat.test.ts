import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, httpJson, makeResult } from '../helpers/test-agent.js';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector({ heartbeatSeconds: 1, lastSeenFlushSeconds: 1 });
});
afterAll(async () => c?.dispose());

describe('liveness', () => {
  it('terminates a socket that stops answering pings and keeps one that answers', async () => {
    const dead = new TestAgent(c.url, 'dead-host');
    await dead.enroll(await c.token('dhs'));
    const up = await dead.upgrade({ autoPong: false });
    expect(up.ok).toBe(true);
    const alive = new TestAgent(c.url, 'alive-host');
    await alive.enroll(await c.token('dhs'));
    const { socket } = await alive.connect();
    if (!up.ok) return;
    const closed = await up.socket.closed;
    expect(closed.code).toBe(1006);
    // The collector's own close event follows the termination on the next turns of its loop.
    for (let i = 0; i < 50 && c.gateway.isConnected(dead.agentId); i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.gateway.isConnected(dead.agentId)).toBe(false);
    expect(c.gateway.isConnected(alive.agentId)).toBe(true);
    socket.send(alive.resultsFrame([makeResult('linux.h.one', 'pass')]));
    expect(await socket.next('ack')).toMatchObject({ status: 'stored' });
    socket.close();
  });

  it('records last-seen and the outbox depth from heartbeats in batches', async () => {
    const agent = new TestAgent(c.url, 'beat-host');
    await agent.enroll(await c.token('dhs'));
    const { socket } = await agent.connect();
    socket.send({ v: 1, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: 7, dropped: 2 });
    const admin = await c.apiToken('hb-admin');
    let agentRow = await c.store.getAgent(agent.agentId);
    for (let i = 0; i < 50 && agentRow?.outboxDepth !== 7; i++) {
      await new Promise((r) => setTimeout(r, 100));
      agentRow = await c.store.getAgent(agent.agentId);
    }
    expect(agentRow).toMatchObject({ outboxDepth: 7, dropped: 2, lastSeenAt: expect.any(String) });
    const hosts = await httpJson(`${c.url}/api/v1/agencies/dhs/hosts`, { token: admin });
    expect((hosts.body as { items: Array<{ hostname: string; online: boolean }> }).items.find((h) => h.hostname === 'beat-host')?.online).toBe(true);
    socket.close();
  });
});
