import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, httpJson, makeResult } from '../helpers/test-agent.js';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector();
});
afterAll(async () => c?.dispose());

describe('collector smoke', () => {
  it('enrolls, connects, stores results and acknowledges them', async () => {
    const agent = new TestAgent(c.url);
    expect((await agent.enroll(await c.token('dhs'))).status).toBe(200);
    const { socket, welcome } = await agent.connect();
    expect(welcome.lastSeq).toBe(0);
    socket.send(agent.resultsFrame([makeResult('linux.a.b', 'pass'), makeResult('linux.a.c', 'fail', { clockDays: 15 })]));
    const ack = await socket.next('ack');
    expect(ack).toEqual({ v: 1, type: 'ack', seq: 1, status: 'stored' });
    const admin = await c.apiToken('root');
    const posture = await httpJson(`${c.url}/api/v1/agencies/dhs/posture`, { token: admin });
    expect(posture.status).toBe(200);
    expect(posture.body).toMatchObject({ score: 50, counts: { pass: 1, fail: 1 } });
    socket.close();
  });
});
