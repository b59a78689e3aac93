import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfigInput } from '../../server/config.js';
import { unsignedBundle } from '../../shared/pack-bundle.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, makeResult, type AgentSocket } from '../helpers/test-agent.js';

let c: TestCollector | undefined;
const open: AgentSocket[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) s.ws.terminate();
  await c?.dispose();
  c = undefined;
});

async function collector(overrides: Partial<ServerConfigInput>): Promise<TestCollector> {
  c = await startTestCollector(overrides);
  return c;
}

async function enrolled(col: TestCollector, name: string): Promise<TestAgent> {
  const a = new TestAgent(col.url, name);
  await a.enroll(await col.token('dhs'));
  return a;
}

async function served(a: TestAgent, s: AgentSocket): Promise<void> {
  s.send(a.resultsFrame([makeResult('linux.ok.rule', 'pass')]));
  expect((await s.next('ack', (f) => f.seq === a.seq)).status).toBe('stored');
}

describe('collector abuse limits', { timeout: 60_000 }, () => {
  it('closes a connection that sends more frames per second than allowed (4429), and only that one', async () => {
    const col = await collector({ maxFramesPerSecond: 5 });
    const bystander = await enrolled(col, 'bystander');
    const b = (await bystander.connect()).socket;
    open.push(b);
    const flooder = await enrolled(col, 'flooder');
    const f = (await flooder.connect()).socket;
    open.push(f);
    for (let i = 0; i < 50; i++) f.send({ v: 1, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: 0 });
    const closed = await f.closed;
    expect(closed.code).toBe(4429);
    expect(f.received().some((x) => x.type === 'error' && x.code === 'ERR_PROTOCOL_RATE')).toBe(true);
    await served(bystander, b);
  });

  it('closes a connection that does not send hello in time (4408)', async () => {
    const col = await collector({ helloTimeoutMs: 300 });
    const a = await enrolled(col, 'silent');
    const up = await a.upgrade();
    if (!up.ok) throw new Error('upgrade refused');
    open.push(up.socket);
    const closed = await up.socket.closed;
    expect(closed.code).toBe(4408);
  });

  it('refuses agent sockets beyond the per-address limit with 429, and admits again once one closes', async () => {
    const col = await collector({ maxConnectionsPerAddress: 2 });
    const agents = [await enrolled(col, 'a1'), await enrolled(col, 'a2'), await enrolled(col, 'a3')];
    const s1 = (await agents[0]!.connect()).socket;
    const s2 = (await agents[1]!.connect()).socket;
    open.push(s1, s2);
    const third = await agents[2]!.upgrade();
    expect(third.ok).toBe(false);
    if (!third.ok) {
      expect(third.status).toBe(429);
      expect((third.body as { error: { code: string } }).error.code).toBe('ERR_AUTH_LIMIT');
    }
    s1.close();
    await s1.closed;
    await new Promise((r) => setTimeout(r, 100));
    const again = (await agents[2]!.connect()).socket;
    open.push(again);
    await served(agents[2]!, again);
  });

  it('refuses upgrade attempts of one agent beyond its per-minute budget before touching the store', async () => {
    const col = await collector({ maxUpgradesPerAgentPerMinute: 3 });
    const a = await enrolled(col, 'flapper');
    for (let i = 0; i < 3; i++) {
      const up = await a.upgrade();
      expect(up.ok).toBe(true);
      if (up.ok) {
        up.socket.close();
        await up.socket.closed;
      }
    }
    const fourth = await a.upgrade();
    expect(fourth.ok).toBe(false);
    if (!fourth.ok) expect((fourth.body as { error: { code: string } }).error.code).toBe('ERR_AUTH_LIMIT');
    // Another agent is not affected.
    const other = await enrolled(col, 'steady');
    const s = (await other.connect()).socket;
    open.push(s);
    await served(other, s);
  });

  it('terminates an agent that stops reading while the collector has much to send (slow consumer)', async () => {
    const col = await collector({ sendBufferLimitBytes: 64 * 1024, slowConsumerMs: 300, revocationPollMs: 50 });
    const slow = await enrolled(col, 'slow');
    const s = (await slow.connect()).socket;
    open.push(s);
    const bystander = await enrolled(col, 'reader');
    const b = (await bystander.connect()).socket;
    open.push(b);
    s.ws.pause();
    // Large (unsigned, so agents would refuse them anyway) bundles pushed to every connected agent of the agency.
    const big = `pack:\n  id: big\n# ${'x'.repeat(1_800_000)}\n`;
    for (let i = 1; i <= 12; i++) {
      await col.store.packs!.publishPackBundle({ agencyName: 'dhs', bundle: unsignedBundle({ pack: big, packId: 'big', version: `1.0.${i}` }), actor: 'test', now: new Date().toISOString() });
    }
    const deadline = Date.now() + 20_000;
    while (col.gateway.isConnected(slow.agentId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(col.gateway.isConnected(slow.agentId)).toBe(false);
    expect(col.gateway.guard.counts.get('slow-consumer')).toBe(1);
    // The reader kept up and is still served.
    await served(bystander, b);
  });
});
