/**
 * Live updates on a real collector: events after commit (one per change, or a summary), online at
 * connect and offline when heartbeats stop (the sweep), bursts collapsed per agency for a browser
 * socket, and single-use expiring tickets.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../server/live/bus.js';
import { TICKET_TTL_MS, TicketBook } from '../../server/live/tickets.js';
import { TestAgent, makeResult } from '../helpers/test-agent.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';

let c: TestCollector;
const events: LiveEvent[] = [];

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.slice(-5))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  c = await startTestCollector({ heartbeatSeconds: 1, lastSeenFlushSeconds: 1 });
  await c.store.createAgency('DHS');
  c.live.bus.subscribe((e) => events.push(e));
});

afterAll(async () => {
  await c?.dispose();
});

describe('live updates', { timeout: 60_000 }, () => {
  it('publishes a connecting agent online, each committed status change, and nothing for an unchanged re-scan', async () => {
    const a = new TestAgent(c.url, 'live-1');
    await a.enroll(await c.token('DHS'));
    const { socket } = await a.connect();
    await until('online event', () => events.find((e) => e.type === 'host' && e.agentId === a.agentId && e.online));
    // The refresh an online event triggers already sees the host online.
    const hosts = await fetch(`${c.url}/api/v1/agencies/DHS/hosts`, { headers: { authorization: `Bearer ${await c.apiToken('soc-a', 'soc')}` } });
    expect(((await hosts.json()) as { items: Array<{ online: boolean }> }).items[0]!.online).toBe(true);

    socket.send(a.resultsFrame([makeResult('r.one', 'pass'), makeResult('r.two', 'fail')]));
    await socket.next('ack');
    const first = await until('two result events', () => {
      const r = events.filter((e) => e.type === 'result' && e.agentId === a.agentId);
      return r.length >= 2 && r;
    });
    expect(first.map((e) => [e.type === 'result' && e.ruleId, e.type === 'result' && e.status])).toEqual([
      ['r.one', 'pass'],
      ['r.two', 'fail'],
    ]);
    expect(first[0]).toMatchObject({ agency: 'DHS', hostname: 'live-1', changes: 2 });

    const before = events.length;
    socket.send(a.resultsFrame([makeResult('r.one', 'pass'), makeResult('r.two', 'fail')], { full: false }));
    await socket.next('ack');
    socket.send(a.resultsFrame([makeResult('r.two', 'pass')], { full: false }));
    await socket.next('ack');
    const next = await until('the flip', () => events.slice(before).find((e) => e.type === 'result'));
    expect(next).toMatchObject({ ruleId: 'r.two', status: 'pass', changes: 1 });
    expect(events.slice(before).filter((e) => e.type === 'result')).toHaveLength(1);

    // A first full scan of many rules is one summary event with the worst status.
    const b = new TestAgent(c.url, 'live-2');
    await b.enroll(await c.token('DHS'));
    const conn = await b.connect();
    const many = Array.from({ length: 40 }, (_, i) => makeResult(`r.many-${i}`, i === 7 ? 'fail' : 'pass'));
    conn.socket.send(b.resultsFrame(many));
    await conn.socket.next('ack');
    const summary = await until('summary', () => events.find((e) => e.type === 'result' && e.agentId === b.agentId));
    expect(summary).toMatchObject({ changes: 40, status: 'fail' });
    expect((summary as { ruleId?: string }).ruleId).toBeUndefined();
    expect(events.filter((e) => e.type === 'result' && e.agentId === b.agentId)).toHaveLength(1);
    conn.socket.ws.close();
    socket.ws.close();
  });

  it('publishes a host offline once its heartbeats stop and the API calls it offline too', async () => {
    const a = new TestAgent(c.url, 'silent-1');
    await a.enroll(await c.token('DHS'));
    // An agent that never answers pings: the gateway terminates it after one missed heartbeat.
    const up = await a.upgrade({ autoPong: false });
    if (!up.ok) throw new Error('upgrade refused');
    up.socket.send({ v: 1, type: 'hello', agentVersion: '0.1.0-test', host: { hostname: 'silent-1', os: { id: 'debian', idLike: [] }, mode: 'live', root: '/', container: false }, packs: [], lastAckedSeq: 0 });
    await up.socket.next('welcome');
    await until('online', () => events.find((e) => e.type === 'host' && e.agentId === a.agentId && e.online));
    const offline = await until('offline', () => events.find((e) => e.type === 'host' && e.agentId === a.agentId && !e.online), 20_000);
    expect(offline).toMatchObject({ agency: 'DHS', hostname: 'silent-1' });
    const token = await c.apiToken('soc-b', 'soc');
    const detail = (await (await fetch(`${c.url}/api/v1/hosts/${a.agentId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { host: { online: boolean } };
    expect(detail.host.online).toBe(false);
  });

  it('collapses a burst into one event per agency on a browser socket', async () => {
    const token = await c.apiToken('soc-c', 'soc');
    const { ticket } = (await (await fetch(`${c.url}/api/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { ticket: string };
    const ws = new WebSocket(`${c.url.replace('http', 'ws')}/api/v1/live?ticket=${ticket}`);
    const got: LiveEvent[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m)) as LiveEvent));
    await new Promise((r) => ws.once('open', r));
    const dhs = (await c.store.findAgency('DHS'))!;
    for (let i = 0; i < 500; i++) {
      c.live.bus.publish({ type: 'result', agency: 'DHS', agencyId: dhs.id, agentId: `a${i}`, hostname: `h${i}`, ruleId: 'r', status: i === 3 ? 'fail' : 'pass', changes: 1, at: new Date().toISOString(), sentAt: Date.now() });
    }
    await until('the summary', () => got.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'result', agency: 'DHS', changes: 500, status: 'fail' });
    ws.close();
  });

  it('issues single-use tickets that expire after 30 seconds', () => {
    const book = new TicketBook();
    const user = { id: 1, name: 'u', role: 'soc' as const, agencyId: null, agencyName: null };
    const t0 = 1_000_000;
    const a = book.issue({ user, tokenHash: 'h' }, t0);
    expect(book.consume(a.ticket, t0 + 1)).toMatchObject({ user: { name: 'u' }, tokenHash: 'h' });
    expect(book.consume(a.ticket, t0 + 2)).toBeNull();
    const b = book.issue({ user, tokenHash: 'h' }, t0);
    expect(book.consume(b.ticket, t0 + TICKET_TTL_MS + 1)).toBeNull();
    expect(book.consume('made-up', t0)).toBeNull();
  });
});
