import type { IncomingMessage } from 'node:http';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentGateway } from '../../server/gateway/agent-gateway.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, makeResult } from '../helpers/test-agent.js';

// A full, synchronous collection on demand (what --expose-gc gives, without restarting the worker).
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Weak references to every upgrade request the gateway is handed (weak: the test must not keep them). */
const requests: Array<WeakRef<IncomingMessage>> = [];
type UpgradeHandler = (this: AgentGateway, req: IncomingMessage, ...rest: unknown[]) => void;
const proto = AgentGateway.prototype as unknown as { onUpgrade: UpgradeHandler };
const original = proto.onUpgrade;

let c: TestCollector;
beforeAll(async () => {
  proto.onUpgrade = function (req, ...rest) {
    requests.push(new WeakRef(req));
    original.call(this, req, ...rest);
  };
  c = await startTestCollector();
});
afterAll(async () => {
  proto.onUpgrade = original;
  await c?.dispose();
});

describe('memory held per connected agent', () => {
  it('does not keep the upgrade request (and its headers) once the agent is connected', async () => {
    const agents = [new TestAgent(c.url, 'mem-1'), new TestAgent(c.url, 'mem-2')];
    const sockets = [];
    for (const a of agents) {
      await a.enroll(await c.token('dhs'));
      const { socket } = await a.connect();
      socket.send(a.resultsFrame([makeResult('linux.mem.one', 'pass')]));
      expect(await socket.next('ack')).toMatchObject({ status: 'stored' });
      sockets.push(socket);
    }
    expect(agents.every((a) => c.gateway.isConnected(a.agentId))).toBe(true);
    expect(requests.length).toBe(2);
    // Let the upgrade's promise callbacks and timers finish, then collect everything collectable.
    await new Promise((r) => setTimeout(r, 50));
    gc();
    expect(requests.filter((r) => r.deref() !== undefined).length).toBe(0);
    // Still connected and working after the collection.
    sockets[0]!.send(agents[0]!.resultsFrame([makeResult('linux.mem.one', 'fail')]));
    expect(await sockets[0]!.next('ack')).toMatchObject({ status: 'stored' });
    for (const s of sockets) s.close();
  });
});
