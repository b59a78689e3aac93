import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent } from '../helpers/test-agent.js';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector();
});
afterAll(async () => c?.dispose());

async function enrolled(): Promise<TestAgent> {
  const agent = new TestAgent(c.url);
  expect((await agent.enroll(await c.token('dhs'))).status).toBe(200);
  return agent;
}

function expectRefused(result: Awaited<ReturnType<TestAgent['upgrade']>>, status: number, code: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.status).toBe(status);
  expect(result.body).toEqual({ error: { code, message: expect.any(String) } });
}

describe('authentication on the WebSocket upgrade', () => {
  it('accepts an enrolled agent that signs a fresh challenge', async () => {
    const agent = await enrolled();
    const { socket, welcome } = await agent.connect();
    expect(welcome).toMatchObject({ agentId: agent.agentId, agency: 'dhs', window: 8, maxResultsPerFrame: 500, heartbeatSeconds: 30, lastSeq: 0 });
    socket.close();
  });

  it('refuses an agent id that was never enrolled with 401 ERR_AUTH_UNKNOWN_AGENT and creates no socket', async () => {
    const ghost = await enrolled();
    const other = new TestAgent(c.url);
    const nonce = randomBytes(32).toString('base64url');
    other.agentId = '00000000-0000-4000-8000-000000000000';
    expectRefused(await other.upgrade({ nonce }), 401, 'ERR_AUTH_UNKNOWN_AGENT');
    expect(c.gateway.connectedCount).toBe(0);
    expect(ghost.agentId).not.toBe(other.agentId);
  });

  it('refuses a revoked agent with 403 ERR_AUTH_REVOKED (and its challenge too)', async () => {
    const agent = await enrolled();
    const c1 = await agent.challenge();
    await c.store.revokeAgent(agent.agentId, new Date().toISOString());
    expectRefused(await agent.upgrade({ nonce: (c1.body as { nonce: string }).nonce }), 403, 'ERR_AUTH_REVOKED');
    const c2 = await agent.challenge();
    expect(c2.status).toBe(403);
  });

  it('refuses a signature made with another key with 401 ERR_AUTH_SIGNATURE', async () => {
    const agent = await enrolled();
    expectRefused(await agent.upgrade({ signWith: generateKeyPairSync('ed25519').privateKey }), 401, 'ERR_AUTH_SIGNATURE');
  });

  it('refuses a replayed nonce with 401 ERR_AUTH_CHALLENGE', async () => {
    const agent = await enrolled();
    const nonce = ((await agent.challenge()).body as { nonce: string }).nonce;
    const first = await agent.upgrade({ nonce });
    expect(first.ok).toBe(true);
    if (first.ok) first.socket.close();
    expectRefused(await agent.upgrade({ nonce }), 401, 'ERR_AUTH_CHALLENGE');
  });

  it('refuses a nonce issued for another agent, and one never issued, with 401 ERR_AUTH_CHALLENGE', async () => {
    const a = await enrolled();
    const b = await enrolled();
    const nonceForA = ((await a.challenge()).body as { nonce: string }).nonce;
    expectRefused(await b.upgrade({ nonce: nonceForA }), 401, 'ERR_AUTH_CHALLENGE');
    expectRefused(await b.upgrade({ nonce: randomBytes(32).toString('base64url') }), 401, 'ERR_AUTH_CHALLENGE');
  });

  it('refuses a wrong or missing protocol version with 426 ERR_PROTOCOL_VERSION', async () => {
    const agent = await enrolled();
    expectRefused(await agent.upgrade({ protocolHeader: '2' }), 426, 'ERR_PROTOCOL_VERSION');
    expectRefused(await agent.upgrade({ protocolHeader: null }), 426, 'ERR_PROTOCOL_VERSION');
  });

  it('refuses an upgrade on any other path with 404', async () => {
    const WebSocket = (await import('ws')).default;
    const ws = new WebSocket(c.url.replace('http', 'ws') + '/api/v1/other');
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(404);
  });

  it('replaces an older connection of the same agent with the newer one (4409 on the old)', async () => {
    const agent = await enrolled();
    const first = await agent.connect();
    const second = await agent.connect();
    expect((await first.socket.closed).code).toBe(4409);
    expect(second.socket.isClosed).toBe(false);
    second.socket.close();
  });
});
