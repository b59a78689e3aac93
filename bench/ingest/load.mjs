#!/usr/bin/env node
/**
 * @module Load generator for bench/ingest and bench/fleet: one process simulating N agents over
 * real WebSockets, spread round-robin over one or more collectors (--urls A,B: agent i enrolls
 * and connects to collector i mod R), with one fleet-wide in-flight cap and one clock. Mode
 * `rampart` speaks the documented protocol (enroll, challenge, Ed25519-signed upgrade,
 * hello/welcome, results frames inside the announced window, acks); mode `raw` streams the same
 * frames to bench/ingest/raw-server.mjs (no auth, no validation) for the raw limit.
 *
 * Usage: node bench/ingest/load.mjs --urls http://127.0.0.1:P1,http://127.0.0.1:P2 --agents 10000
 *          --token T --phases max:15,half:15 --warmup 3 [--results 100] [--max-inflight 400]
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: o } = parseArgs({
  options: {
    urls: { type: 'string' },
    agents: { type: 'string', default: '1000' },
    mode: { type: 'string', default: 'rampart' },
    token: { type: 'string', default: '' },
    phases: { type: 'string', default: 'max:20' },
    warmup: { type: 'string', default: '3' },
    results: { type: 'string', default: '100' },
    window: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '100' },
    'max-inflight': { type: 'string', default: '400' },
  },
});

const N = Number(o.agents);
const R = Number(o.results);
const WARMUP_MS = Number(o.warmup) * 1000;
const URLS = o.urls.split(',').filter(Boolean);
const SEVERITIES = ['critical', 'high', 'medium', 'low'];

/** A realistic result (~600 bytes of JSON) for rule i; `flip` changes the status of every 10th rule. */
function result(i, flip) {
  const fails = i % 4 === 0;
  const status = (i % 10 === 0 && flip) ? (fails ? 'pass' : 'fail') : fails ? 'fail' : i % 13 === 0 ? 'not-applicable' : 'pass';
  return {
    ruleId: `linux.bench.rule-${String(i).padStart(4, '0')}`,
    packId: 'bench-pack',
    title: `Benchmark rule ${i}: kernel parameter is hardened`,
    severity: SEVERITIES[i % 4],
    status,
    expected: 'runtime eq 0 and persisted eq 0',
    observed: status === 'pass' ? 'runtime 0, persisted 0' : 'runtime 1, persisted 1',
    evidence: [
      {
        probe: 'sysctl',
        params: { key: `net.ipv4.bench_${i}` },
        status: status === 'not-applicable' ? 'not-applicable' : status,
        expected: 'runtime eq 0',
        observed: { runtime: status === 'pass' ? 0 : 1, persisted: status === 'pass' ? 0 : 1 },
        sources: [`/proc/sys/net/ipv4/bench_${i}`, '/etc/sysctl.d/99-bench.conf'],
      },
    ],
    references: { directives: [i % 3 === 0 ? 'BOD-23-02' : 'M-22-09'], nist: ['CM-7', 'SC-7'], stig: [], cis: [`r9 3.3.${i % 9}`], cac: [], cve: [], other: [] },
    remediation: 'Set the parameter to 0 in /etc/sysctl.d and reload with sysctl --system.',
    ...(fails ? { clockDays: 14, clockDirective: 'BOD-23-02' } : {}),
    durationMs: 0.4,
  };
}

/** Two pre-serialized frame bodies (everything after the seq) that differ in 10% of statuses. */
function templates() {
  const scannedAt = new Date().toISOString();
  return [false, true].map((flip) => {
    const results = Array.from({ length: R }, (_, i) => result(i, flip));
    const rest = JSON.stringify({ scanId: `bench-${flip ? 'b' : 'a'}`, scannedAt, packs: [], full: false, results });
    return ',' + rest.slice(1);
  });
}
const TEMPLATES = templates();
const FRAME_BYTES = Buffer.byteLength(TEMPLATES[0]) + 30;

function hostFacts(hostname) {
  return { hostname, os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian 12' }, mode: 'live', root: '/', container: true };
}

async function json(url, init) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

class SimAgent {
  constructor(index) {
    this.index = index;
    this.base = URLS[index % URLS.length];
    this.wsBase = this.base.replace(/^http/, 'ws');
    this.seq = 0;
    this.inflight = new Map(); // seq -> sent time
    this.window = Number(o.window);
    this.ws = null;
    this.open = false;
    this.closeCode = null;
  }

  async enroll() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    const body = await json(`${this.base}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: o.token, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), hostname: `bench-${this.index}`, agentVersion: 'bench' }),
    });
    this.agentId = body.agentId;
  }

  async connect(stats) {
    let ws;
    if (o.mode === 'raw') {
      ws = new WebSocket(`${this.wsBase}/raw?agent=${this.index}`, { perMessageDeflate: false });
    } else {
      const { nonce } = await json(`${this.base}/api/v1/agent/challenge?agentId=${this.agentId}`);
      const signature = sign(null, Buffer.from(`rampart-agent-auth/v1\n${this.agentId}\n${nonce}`), this.privateKey).toString('base64');
      ws = new WebSocket(`${this.wsBase}/api/v1/agent/ws`, {
        perMessageDeflate: false,
        headers: { 'x-rampart-protocol': '1', 'x-rampart-agent': this.agentId, 'x-rampart-nonce': nonce, 'x-rampart-signature': signature },
      });
    }
    this.ws = ws;
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      this.open = false;
      this.closeCode = code;
      stats.closes[code] = (stats.closes[code] ?? 0) + 1;
    });
    const welcomed = new Promise((resolve) => {
      ws.on('message', (data) => {
        const f = JSON.parse(data);
        if (f.type === 'ack') {
          const sent = this.inflight.get(f.seq);
          if (sent !== undefined) {
            this.inflight.delete(f.seq);
            stats.onAck(this, performance.now() - sent);
          }
        } else if (f.type === 'welcome') {
          this.window = f.window;
          resolve();
        } else if (f.type === 'error') {
          stats.errors[f.code] = (stats.errors[f.code] ?? 0) + 1;
        }
      });
    });
    if (o.mode === 'raw') {
      this.open = true;
      return;
    }
    ws.send(JSON.stringify({ v: 1, type: 'hello', agentVersion: 'bench', host: hostFacts(`bench-${this.index}`), packs: [], lastAckedSeq: 0 }));
    await welcomed;
    this.open = true;
  }

  canSend() {
    return this.open && this.inflight.size < this.window;
  }

  send() {
    const seq = ++this.seq;
    this.inflight.set(seq, performance.now());
    this.ws.send(`{"v":1,"type":"results","seq":${seq}${TEMPLATES[seq & 1]}`);
  }
}

async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function runPhase(agents, stats, kind, seconds, rate) {
  const lat = [];
  let acked = 0;
  let measuring = false;
  // Saturation with a bounded backlog: every agent takes part, round-robin, but at most
  // --max-inflight frames are unacknowledged fleet-wide (each agent still within its window).
  const cap = Number(o['max-inflight']);
  let inflightTotal = 0;
  let rr = 0;
  const sendNext = () => {
    for (let tries = 0; tries < agents.length && inflightTotal < cap; tries++) {
      const a = agents[rr];
      rr = (rr + 1) % agents.length;
      if (a.canSend()) {
        a.send();
        inflightTotal++;
        return true;
      }
    }
    return false;
  };
  stats.onAck = (agent, ms) => {
    inflightTotal--;
    if (measuring) {
      acked++;
      lat.push(ms);
    }
    if (kind === 'max') sendNext();
  };
  const start = performance.now();
  let timer = null;
  if (kind === 'max') {
    while (inflightTotal < cap && sendNext());
  } else {
    // Global rate in results/s, spread round-robin over agents with window room.
    const framesPerMs = rate / R / 1000;
    let sent = 0;
    let cursor = 0;
    timer = setInterval(() => {
      const owed = Math.floor((performance.now() - start) * framesPerMs) - sent;
      let tries = 0;
      for (let k = 0; k < owed && tries < agents.length; ) {
        const a = agents[cursor];
        cursor = (cursor + 1) % agents.length;
        if (a.canSend()) {
          a.send();
          inflightTotal++;
          sent++;
          k++;
          tries = 0;
        } else tries++;
      }
      stats.behind = owed > 0 ? owed : 0;
    }, 2);
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  // Let in-flight frames finish so the next phase starts clean.
  stats.onAck = () => {};
  const drainUntil = performance.now() + 60_000;
  while (agents.some((a) => a.inflight.size > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  lat.sort((a, b) => a - b);
  return {
    phase: kind,
    targetResultsPerSec: rate ?? null,
    seconds: Number(elapsed.toFixed(2)),
    resultsPerSec: Math.round((acked * R) / elapsed),
    framesPerSec: Math.round(acked / elapsed),
    ackP50Ms: round(percentile(lat, 50)),
    ackP99Ms: round(percentile(lat, 99)),
    ackMaxMs: round(lat[lat.length - 1] ?? null),
  };
}

function round(x) {
  return x === null ? null : Math.round(x * 10) / 10;
}

async function main() {
  const agents = Array.from({ length: N }, (_, i) => new SimAgent(i));
  const stats = { closes: {}, errors: {}, onAck: () => {} };
  const t0 = performance.now();
  if (o.mode !== 'raw') await pool(agents, Number(o.concurrency), (a) => a.enroll());
  const tEnroll = performance.now();
  await pool(agents, Number(o.concurrency), (a) => a.connect(stats));
  const tConnect = performance.now();
  process.stderr.write(`load: ${N} agents on ${URLS.length} collector(s) connected (${o.mode}) in ${((tConnect - tEnroll) / 1000).toFixed(1)} s\n`);
  // Tell the orchestrator we are connected and steady, then run the phases.
  process.stdout.write(JSON.stringify({ event: 'connected', agents: N, enrollSeconds: round((tEnroll - t0) / 1000), connectSeconds: round((tConnect - tEnroll) / 1000), frameBytes: FRAME_BYTES, resultsPerFrame: R }) + '\n');
  let lastMax = 0;
  for (const spec of o.phases.split(',')) {
    const [name, secs, rate] = spec.split(':');
    // half:SECONDS = a fixed rate at half of what the previous max phase sustained.
    const kind = name === 'half' ? 'rate' : name;
    const target = name === 'half' ? Math.round(lastMax / 2) : rate === undefined ? undefined : Number(rate);
    process.stdout.write(JSON.stringify({ event: 'phase-start', phase: kind, rate: target ?? null }) + '\n');
    const r = await runPhase(agents, stats, kind, Number(secs), target);
    if (kind === 'max') lastMax = r.resultsPerSec;
    process.stdout.write(JSON.stringify({ event: 'phase', ...r, closes: { ...stats.closes }, errors: { ...stats.errors }, open: agents.filter((a) => a.open).length }) + '\n');
  }
  for (const a of agents) a.ws?.terminate();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`load: ${err.stack ?? err}\n`);
  process.exit(3);
});
