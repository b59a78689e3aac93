import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, makeResult, type AgentSocket } from '../helpers/test-agent.js';

let c: TestCollector;
let bystander: TestAgent;
let bystanderSocket: AgentSocket;

beforeAll(async () => {
  c = await startTestCollector({ maxFrameBytes: 64 * 1024, maxResultsPerFrame: 50 });
  bystander = new TestAgent(c.url, 'bystander');
  await bystander.enroll(await c.token('dhs'));
  bystanderSocket = (await bystander.connect()).socket;
});
afterAll(async () => {
  bystanderSocket?.close();
  await c?.dispose();
});

function storedRows(): number {
  const db = (c.store as unknown as { db: import('better-sqlite3').Database }).db;
  return (db.prepare('SELECT COUNT(*) AS n FROM received_seqs').get() as { n: number }).n;
}

/** The well-behaved agent on its own connection keeps getting acks. */
async function bystanderStillServed(): Promise<void> {
  bystanderSocket.send(bystander.resultsFrame([makeResult('linux.ok.rule', 'pass')]));
  const ack = await bystanderSocket.next('ack', (a) => a.seq === bystander.seq);
  expect(ack.status).toBe('stored');
}

async function misbehave(send: (s: AgentSocket, a: TestAgent) => void, afterHello = true): Promise<{ code: number; error: { code: string } | undefined }> {
  const agent = new TestAgent(c.url);
  await agent.enroll(await c.token('dhs'));
  let socket: AgentSocket;
  if (afterHello) socket = (await agent.connect()).socket;
  else {
    const up = await agent.upgrade();
    if (!up.ok) throw new Error('upgrade refused');
    socket = up.socket;
  }
  const before = storedRows();
  send(socket, agent);
  const closed = await socket.closed;
  const error = socket.received().find((f) => f.type === 'error') as { code: string } | undefined;
  expect(storedRows()).toBe(before);
  await bystanderStillServed();
  return { code: closed.code, error };
}

describe('malformed agent frames', () => {
  it('closes a frame that is not JSON with 4400 ERR_PROTOCOL_INVALID_FRAME', async () => {
    const r = await misbehave((s) => s.sendRaw('{"v":1,"type":"results",'));
    expect(r).toMatchObject({ code: 4400, error: { code: 'ERR_PROTOCOL_INVALID_FRAME' } });
  });

  it('closes a frame of the wrong schema with 4400', async () => {
    const r = await misbehave((s, a) => s.send({ ...a.resultsFrame([makeResult('linux.a.b', 'pass')]), seq: -3 }));
    expect(r).toMatchObject({ code: 4400, error: { code: 'ERR_PROTOCOL_INVALID_FRAME' } });
  });

  it('closes a result with an invalid status inside an otherwise valid frame with 4400', async () => {
    const r = await misbehave((s, a) => s.send(a.resultsFrame([{ ...makeResult('linux.a.b', 'pass'), status: 'maybe' as 'pass' }])));
    expect(r.code).toBe(4400);
  });

  it('closes an unknown frame type with 4400', async () => {
    const r = await misbehave((s) => s.send({ v: 1, type: 'exec', command: 'rm -rf /' }));
    expect(r).toMatchObject({ code: 4400, error: { code: 'ERR_PROTOCOL_INVALID_FRAME' } });
  });

  it('closes a binary frame with 4400', async () => {
    const r = await misbehave((s) => s.sendRaw(Buffer.from('{"v":1}'), true));
    expect(r.code).toBe(4400);
  });

  it('closes results before hello with 4400', async () => {
    const r = await misbehave((s, a) => s.send(a.resultsFrame([makeResult('linux.a.b', 'pass')])), false);
    expect(r).toMatchObject({ code: 4400, error: { code: 'ERR_PROTOCOL_INVALID_FRAME' } });
  });

  it('closes a frame larger than maxFrameBytes with 4413 ERR_PROTOCOL_FRAME_TOO_LARGE', async () => {
    const big = makeResult('linux.a.big', 'pass', { observed: 'x'.repeat(70 * 1024) });
    const r = await misbehave((s, a) => s.send(a.resultsFrame([big])));
    expect(r).toMatchObject({ code: 4413, error: { code: 'ERR_PROTOCOL_FRAME_TOO_LARGE' } });
  });

  it('lets the WebSocket layer refuse a frame more than 4 times the limit with 1009, before reading it', async () => {
    const huge = makeResult('linux.a.huge', 'pass', { observed: 'x'.repeat(300 * 1024) });
    const r = await misbehave((s, a) => s.send(a.resultsFrame([huge])));
    expect(r.code).toBe(1009);
  });

  it('closes a frame with more results than maxResultsPerFrame with 4413', async () => {
    const many = Array.from({ length: 51 }, (_, i) => makeResult(`linux.many.r${i}`, 'pass'));
    const r = await misbehave((s, a) => s.send(a.resultsFrame(many)));
    expect(r.code).toBe(4413);
  });

  it('closes a frame of another protocol version with 4426 ERR_PROTOCOL_VERSION', async () => {
    const r = await misbehave((s, a) => s.send({ ...a.resultsFrame([makeResult('linux.a.b', 'pass')]), v: 2 }));
    expect(r).toMatchObject({ code: 4426, error: { code: 'ERR_PROTOCOL_VERSION' } });
  });

  it('closes results claiming another agent with 4403 ERR_PROTOCOL_IDENTITY', async () => {
    const r = await misbehave((s, a) => s.send({ ...a.resultsFrame([makeResult('linux.a.b', 'pass')]), agentId: bystander.agentId }));
    expect(r).toMatchObject({ code: 4403, error: { code: 'ERR_PROTOCOL_IDENTITY' } });
  });

  it('closes results claiming another agency with 4403 ERR_PROTOCOL_IDENTITY', async () => {
    const r = await misbehave((s, a) => s.send({ ...a.resultsFrame([makeResult('linux.a.b', 'pass')]), agency: 'treasury' }));
    expect(r).toMatchObject({ code: 4403, error: { code: 'ERR_PROTOCOL_IDENTITY' } });
  });

  it('closes an agent that exceeds the window with 4429 ERR_PROTOCOL_WINDOW', async () => {
    const agent = new TestAgent(c.url);
    await agent.enroll(await c.token('dhs'));
    const { socket, welcome } = await agent.connect();
    // window + 1 frames written back to back, before any ack can arrive.
    for (let i = 0; i <= welcome.window; i++) socket.send(agent.resultsFrame([makeResult('linux.w.r', 'pass')]));
    const closed = await socket.closed;
    expect(closed.code).toBe(4429);
    expect(socket.received().some((f) => f.type === 'error' && f.code === 'ERR_PROTOCOL_WINDOW')).toBe(true);
    await bystanderStillServed();
  });
});
