/**
 * Fuzz and abuse run against a collector in its own process: more than 10,000 generated and
 * mutated frames and handshakes (flipped types, truncation, huge numbers, wrong types, unicode,
 * deep nesting, binary frames, bad versions, oversized frames, garbage and mutated upgrade
 * requests). The collector must never crash, must store nothing from them, must close each bad
 * connection with a protocol close code, and must keep acknowledging a well-behaved agent that
 * stays connected throughout. Seeded PRNG: a failure reproduces with the same FUZZ_SEED.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentFrameSchema, decodeFrame, PROTOCOL_VERSION } from '../../shared/protocol.js';
import { TestAgent, hostFacts, makeResult, type AgentSocket } from '../helpers/test-agent.js';
import { Admin, freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const FRAME_CASES = 8_000;
const HANDSHAKE_CASES = 2_500;
const WORKERS = 24;
const MAX_FRAME = 64 * 1024;

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Mutant {
  data: string | Buffer;
  binary: boolean;
  kind: string;
}

const WEIRD_STRINGS = ['', '\u0000', '\ud800', '\u202e\u202d', '🛡️'.repeat(200), 'a'.repeat(70_000), '${jndi:ldap://x}', '"; DROP TABLE results; --', '\\u0000', 'results\u0000'];
const WEIRD_NUMBERS = [1e308, -1, 0, 2 ** 64, 1.5, -0, Number.MAX_SAFE_INTEGER + 2, 1e-300];
const TYPES = ['welcome', 'ack', 'pack', 'resync', 'error', 'HELLO', 'results ', '', 'constructor', '__proto__'];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function randomValue(rand: () => number, depth = 0): Json {
  const r = rand();
  if (r < 0.15) return null;
  if (r < 0.3) return rand() < 0.5;
  if (r < 0.45) return pick(rand, WEIRD_NUMBERS);
  if (r < 0.65) return pick(rand, WEIRD_STRINGS);
  if (r < 0.8 || depth > 2) return [randomValue(rand, depth + 1), randomValue(rand, depth + 1)];
  return { x: randomValue(rand, depth + 1), ['__proto__']: { polluted: true } } as Json;
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Paths to every member of an object tree. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = [...prefix, Array.isArray(value) ? Number(k) : k];
      out.push(p);
      paths(v as Json, p, out);
    }
  }
  return out;
}

function setAt(root: Json, p: (string | number)[], v: Json | undefined): void {
  let cur = root as Record<string | number, Json>;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, Json>;
  const last = p[p.length - 1]!;
  if (v === undefined) delete cur[last];
  else cur[last] = v;
}

function mutate(rand: () => number, base: Json): Mutant {
  const frame = structuredClone(base) as { [k: string]: Json };
  const all = paths(frame);
  const r = rand();
  if (r < 0.12) {
    frame.type = pick(rand, TYPES);
    return { data: JSON.stringify(frame), binary: false, kind: 'type' };
  }
  if (r < 0.22) {
    const text = JSON.stringify(frame);
    return { data: text.slice(0, Math.floor(rand() * text.length)), binary: false, kind: 'truncate' };
  }
  if (r < 0.34) {
    setAt(frame, pick(rand, all), pick(rand, WEIRD_NUMBERS));
    return { data: JSON.stringify(frame), binary: false, kind: 'number' };
  }
  if (r < 0.48) {
    setAt(frame, pick(rand, all), randomValue(rand));
    return { data: JSON.stringify(frame), binary: false, kind: 'wrong-type' };
  }
  if (r < 0.56) {
    setAt(frame, pick(rand, all), pick(rand, WEIRD_STRINGS));
    return { data: JSON.stringify(frame), binary: false, kind: 'unicode' };
  }
  if (r < 0.62) {
    const text = JSON.stringify(frame);
    return { data: `${text.slice(0, -1)},"deep":${nested(200 + Math.floor(rand() * 20_000))}}`, binary: false, kind: 'nesting' };
  }
  if (r < 0.68) return { data: Buffer.from(JSON.stringify(frame)), binary: true, kind: 'binary' };
  if (r < 0.74) {
    frame.v = pick(rand, [2, 0, '1', null, 1.0000001, -1] as Json[]);
    return { data: JSON.stringify(frame), binary: false, kind: 'version' };
  }
  if (r < 0.8) {
    setAt(frame, pick(rand, all), undefined);
    frame[pick(rand, ['extra', 'agentId', 'seq', 'results'])] = randomValue(rand);
    return { data: JSON.stringify(frame), binary: false, kind: 'fields' };
  }
  if (r < 0.85) {
    frame.padding = 'x'.repeat(MAX_FRAME + Math.floor(rand() * MAX_FRAME));
    return { data: JSON.stringify(frame), binary: false, kind: 'oversize' };
  }
  if (r < 0.9) {
    const bytes = Buffer.alloc(1 + Math.floor(rand() * 512));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
    return { data: bytes.toString('latin1'), binary: false, kind: 'garbage' };
  }
  if (r < 0.95) return { data: JSON.stringify(pick(rand, [[frame], 42, 'hello', null, true, []] as Json[])), binary: false, kind: 'not-object' };
  // Valid shape, but the results carry a wrong-typed evidence member deep inside.
  const results = frame.results;
  if (Array.isArray(results) && results.length > 0) {
    setAt(results[0] as Json, ['evidence', 0, 'status'], randomValue(rand));
    setAt(results[0] as Json, ['durationMs'], 'slow');
  } else frame.type = 'results';
  return { data: JSON.stringify(frame), binary: false, kind: 'deep-field' };
}

/** A mutant the collector would accept must not be sent (the fuzzer asserts nothing is stored). */
function acceptable(m: Mutant): boolean {
  if (m.binary || Buffer.byteLength(m.data) > MAX_FRAME) return false;
  return decodeFrame(AgentFrameSchema, typeof m.data === 'string' ? m.data : m.data.toString('utf8')).ok;
}

function templates(agent: TestAgent): Json[] {
  const results = Array.from({ length: 3 }, (_, i) => makeResult(`fuzz.rule.r${i}`, i % 2 ? 'pass' : 'fail'));
  return [
    { v: PROTOCOL_VERSION, type: 'hello', agentVersion: '0.1.0-fuzz', host: hostFacts(agent.hostname), packs: [], lastAckedSeq: 0 } as unknown as Json,
    { ...agent.resultsFrame(results, { seq: 1 }), agentId: agent.agentId } as unknown as Json,
    { v: PROTOCOL_VERSION, type: 'digest', seq: 2, scanId: 's', scannedAt: new Date().toISOString(), count: 3, sha256: 'a'.repeat(64) },
    { v: PROTOCOL_VERSION, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: 0 },
  ];
}

/** Mutated upgrade requests and plain garbage on a raw TCP socket. */
function handshakeMutant(rand: () => number, port: number, agentId: string): string {
  const r = rand();
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': Buffer.from(Array.from({ length: 16 }, () => Math.floor(rand() * 256))).toString('base64'),
    'Sec-WebSocket-Version': '13',
    'X-Rampart-Protocol': '1',
    'X-Rampart-Agent': agentId,
    'X-Rampart-Nonce': Buffer.from(Array.from({ length: 32 }, () => Math.floor(rand() * 256))).toString('base64url'),
    'X-Rampart-Signature': Buffer.alloc(64, 7).toString('base64'),
  };
  let pathname = '/api/v1/agent/ws';
  if (r < 0.1) return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))).toString('latin1');
  if (r < 0.2) headers['X-Rampart-Protocol'] = pick(rand, ['2', '0', '1.0', '', 'abc', '99999999999999999999']);
  else if (r < 0.3) delete headers[pick(rand, Object.keys(headers))];
  else if (r < 0.4) headers['X-Rampart-Agent'] = pick(rand, ['not-a-uuid', '00000000-0000-4000-8000-000000000000', "'; DROP TABLE agents; --", '\u202e'.repeat(10)]);
  else if (r < 0.5) headers['X-Rampart-Signature'] = pick(rand, ['', '!!!', 'A'.repeat(5000), Buffer.alloc(63).toString('base64')]);
  else if (r < 0.6) headers['X-Rampart-Nonce'] = pick(rand, ['', 'x', 'A'.repeat(43), '../../etc/passwd']);
  else if (r < 0.7) pathname = pick(rand, ['/api/v1/agent/ws?x=' + 'a'.repeat(2000), '/api/v1/agent/ws/../live', '/%00', '/api/v1/agent/WS', '/' + 'a'.repeat(9000)]);
  else if (r < 0.8) headers['X-Junk'] = 'y'.repeat(Math.floor(rand() * 20_000));
  else if (r < 0.9) headers['Sec-WebSocket-Version'] = pick(rand, ['8', '', '13, 13']);
  else return `GET ${pathname} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: -5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
  return `GET ${pathname} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

function sendRawHandshake(port: number, text: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, 2000);
    s.on('error', done);
    s.on('close', done);
    s.on('data', (d) => {
      // Any answer (refusal, 101 for a garbage-but-authenticated attempt never happens) ends it.
      if (d.length > 0) done();
    });
    s.write(text, 'latin1');
  });
}

let tmp: string;
let collector: CollectorProcess;
let admin: Admin;
let honest: TestAgent;
let honestSocket: AgentSocket;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-fuzz-'));
  collector = await startCollectorProcess(path.join(tmp, 'collector'), await freePort(), {
    RAMPART_MAX_FRAME_BYTES: String(MAX_FRAME),
    RAMPART_MAX_UPGRADES_PER_AGENT_PER_MINUTE: '10000',
    RAMPART_HELLO_TIMEOUT_MS: '3000',
    RAMPART_LOG_LEVEL: 'error',
  });
  admin = await Admin.open(path.join(tmp, 'collector'));
  honest = new TestAgent(collector.url, 'honest');
  await honest.enroll(await admin.token('dhs'));
  honestSocket = (await honest.connect()).socket;
}, 60_000);

afterAll(async () => {
  honestSocket?.close();
  await collector?.stop();
  await admin?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('fuzzing the agent endpoint', { timeout: 120_000 }, () => {
  it('survives 10,000+ mutated frames and handshakes, stores nothing from them, and keeps serving a well-behaved agent', async () => {
    const rand = prng(SEED);
    // The well-behaved agent sends a results frame every 100 ms for the whole run; every one must be acknowledged.
    let honestSent = 0;
    let honestAcked = 0;
    let stop = false;
    const honestLoop = (async () => {
      while (!stop) {
        const frame = honest.resultsFrame([makeResult('linux.honest.rule', honestSent % 2 ? 'pass' : 'fail')], { full: false });
        honestSocket.send(frame);
        honestSent++;
        const ack = await honestSocket.next('ack', (a) => a.seq === frame.seq, 15_000);
        if (ack.status === 'stored') honestAcked++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const fuzzAgents: TestAgent[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const a = new TestAgent(collector.url, `fuzz-${i}`);
      await a.enroll(await admin.token('dhs'));
      fuzzAgents.push(a);
    }
    const kinds = new Map<string, number>();
    const closeCodes = new Map<number, number>();
    let frames = 0;
    let discarded = 0;
    let next = 0;

    const frameWorker = async (agent: TestAgent, wrand: () => number) => {
      const bases = templates(agent);
      while (next < FRAME_CASES) {
        next++;
        let m: Mutant;
        do {
          m = mutate(wrand, pick(wrand, bases));
          if (acceptable(m)) discarded++;
          else break;
        } while (true);
        // Half before hello (the first frame of a connection), half after a proper hello.
        const afterHello = wrand() < 0.5;
        const socket = afterHello ? (await agent.connect()).socket : await agent.upgrade().then((u) => (u.ok ? u.socket : Promise.reject(new Error(`upgrade refused ${u.status}`))));
        socket.sendRaw(m.data, m.binary);
        frames++;
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        const closed = await Promise.race([socket.closed, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
        if (closed === null) throw new Error(`collector kept a connection open after a ${m.kind} mutant: ${String(m.data).slice(0, 200)}`);
        closeCodes.set(closed.code, (closeCodes.get(closed.code) ?? 0) + 1);
      }
    };

    let handshakes = 0;
    const port = Number(new URL(collector.url).port);
    const handshakeWorker = async (wrand: () => number) => {
      while (handshakes < HANDSHAKE_CASES) {
        handshakes++;
        await sendRawHandshake(port, handshakeMutant(wrand, port, pick(wrand, fuzzAgents).agentId));
      }
    };

    await Promise.all([
      ...fuzzAgents.map((a, i) => frameWorker(a, prng(SEED + i + 1))),
      ...Array.from({ length: 8 }, (_, i) => handshakeWorker(prng(SEED + 1000 + i))),
    ]);
    stop = true;
    await honestLoop;

    expect(frames + handshakes).toBeGreaterThanOrEqual(10_000);
    // Every bad frame ended its connection with a protocol close code (or ws's own 1009 for the very large ones).
    expect([...closeCodes.keys()].every((c) => [4400, 4413, 4426, 1009].includes(c)), JSON.stringify([...closeCodes])).toBe(true);
    // The collector process is alive and healthy.
    expect(collector.child.exitCode).toBeNull();
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    // Nothing from the fuzzers was stored; the honest agent's frames all were.
    const db = new Database(path.join(tmp, 'collector', 'rampart.db'), { readonly: true, fileMustExist: true });
    try {
      const honestKey = (db.prepare('SELECT key FROM agents WHERE id = ?').get(honest.agentId) as { key: number }).key;
      expect((db.prepare('SELECT COUNT(*) AS n FROM received_seqs WHERE agent_key != ?').get(honestKey) as { n: number }).n).toBe(0);
      expect((db.prepare('SELECT COUNT(*) AS n FROM results WHERE agent_key != ?').get(honestKey) as { n: number }).n).toBe(0);
      expect((db.prepare('SELECT COUNT(*) AS n FROM received_seqs WHERE agent_key = ?').get(honestKey) as { n: number }).n).toBe(honestSent);
    } finally {
      db.close();
    }
    expect(honestSent).toBeGreaterThan(10);
    expect(honestAcked).toBe(honestSent);
    console.log(JSON.stringify({ seed: SEED, frames, handshakes, discardedValidMutants: discarded, kinds: Object.fromEntries(kinds), closeCodes: Object.fromEntries(closeCodes), honestSent }));
  });
});
