import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, makeResult } from '../helpers/test-agent.js';

let a: TestCollector;
let b: TestCollector;
beforeAll(async () => {
  a = await startTestCollector();
  b = await startTestCollector();
});
afterAll(async () => {
  await a?.dispose();
  await b?.dispose();
});

async function scrape(c: TestCollector): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${c.url}/metrics`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of one sample line, e.g. value(text, 'rampart_agents_connected'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('GET /metrics', () => {
  it('exposes ingest counters, ack and store latency, connected agents, outbox depth and rejections in Prometheus text format', async () => {
    const good = new TestAgent(a.url);
    await good.enroll(await a.token('dhs'));
    const { socket } = await good.connect();
    socket.send({ v: 1, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: 7 });
    socket.send(good.resultsFrame([makeResult('linux.a.b', 'pass'), makeResult('linux.a.c', 'fail')]));
    await socket.next('ack');
    socket.send(good.resultsFrame([makeResult('linux.a.b', 'pass')], { seq: 1 }));
    expect(await socket.next('ack')).toMatchObject({ seq: 1, status: 'duplicate' });

    const bad = new TestAgent(a.url);
    await bad.enroll(await a.token('dhs'));
    const conn = await bad.connect();
    conn.socket.ws.send('this is not json');
    expect((await conn.socket.closed).reason).toBe('ERR_PROTOCOL_INVALID_FRAME');
    const refused = await new TestAgent(a.url).upgrade({ agentIdHeader: '00000000-0000-4000-8000-000000000000', nonce: 'x'.repeat(43) });
    expect(refused.ok).toBe(false);

    // Heartbeats are read from the connection at scrape time.
    await new Promise((r) => setTimeout(r, 50));
    const m = await scrape(a);
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    expect(value(m.text, 'rampart_agents_connected')).toBe(1);
    expect(value(m.text, 'rampart_frames_ingested_total{type="results"}')).toBe(1);
    expect(value(m.text, 'rampart_results_ingested_total')).toBe(2);
    expect(value(m.text, 'rampart_status_changes_total')).toBe(2);
    expect(value(m.text, 'rampart_frames_duplicate_total')).toBe(1);
    expect(value(m.text, 'rampart_rejected_total{code="ERR_PROTOCOL_INVALID_FRAME",stage="frame"}')).toBe(1);
    expect(m.text).toMatch(/rampart_rejected_total\{code="ERR_AUTH_[A-Z_]+",stage="upgrade"\} 1/);
    expect(value(m.text, 'rampart_ack_latency_seconds_count')).toBe(1);
    expect(value(m.text, 'rampart_store_latency_seconds_count{op="ingest",store="sqlite"}')).toBeGreaterThanOrEqual(2);
    expect(value(m.text, 'rampart_agent_outbox_depth{stat="sum"}')).toBe(7);
    expect(value(m.text, 'rampart_agent_outbox_depth{stat="max"}')).toBe(7);
    expect(value(m.text, 'rampart_live_subscribers')).toBe(0);
    expect(value(m.text, 'rampart_inbox_stops_total')).toBe(0);
    expect(value(m.text, 'rampart_process_resident_memory_bytes')).toBeGreaterThan(0);
    // A second scrape does not count the exported totals twice.
    expect(value((await scrape(a)).text, 'rampart_frames_duplicate_total')).toBe(1);
    socket.close();
  });

  it('counts the times a backlog over the high-water mark paused every agent socket', async () => {
    const c = await startTestCollector({ inboxHighWaterBytes: 64 * 1024 });
    try {
      const agent = new TestAgent(c.url);
      await agent.enroll(await c.token('dhs'));
      const { socket } = await agent.connect();
      // One frame larger than the 64 KiB mark: queued, every socket paused, then parsed and stored.
      const results = Array.from({ length: 200 }, (_, i) => makeResult(`linux.stop.r${i}`, 'pass', { observed: 'x'.repeat(400) }));
      socket.send(agent.resultsFrame(results));
      expect(await socket.next('ack')).toMatchObject({ status: 'stored' });
      expect(value((await scrape(c)).text, 'rampart_inbox_stops_total')).toBe(1);
      socket.close();
    } finally {
      await c.dispose();
    }
  });

  it('keeps a separate registry per collector in one process', async () => {
    const m = await scrape(b);
    expect(m.status).toBe(200);
    expect(value(m.text, 'rampart_frames_ingested_total{type="results"}')).toBeUndefined();
    expect(value(m.text, 'rampart_results_ingested_total')).toBe(0);
    expect(value(m.text, 'rampart_agents_connected')).toBe(0);
  });
});
