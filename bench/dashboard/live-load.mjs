#!/usr/bin/env node
/**
 * @module bench/dashboard live-load: does an open dashboard cost ingest anything? A collector
 * process (dist/rampart.js server start) takes a full-window flood from bench/ingest/load.mjs
 * (N agents over real WebSockets from one address — the per-address connection limit is raised —
 * every 10th rule flipping each frame, so live events flow) with
 * 0 and then K live dashboard sockets of a soc user connected (every event reaches every socket).
 * Prints, per run, sustained results/s and ack p50/p99 from the load generator, /healthz latency
 * during the flood, and on the dashboard sockets: messages received, event latency (collector
 * publish → socket receive) p50/p99, and how many events the collector collapsed.
 *
 * Usage (from the repository root): npm run build && node bench/dashboard/live-load.mjs [agents=1000] [sockets=5] [seconds=15]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

const REPO = process.cwd();
const CLI = path.join(REPO, process.env.RAMPART_CLI ?? 'dist/rampart.js');
const AGENTS = Number(process.argv[2] ?? 1000);
const SOCKETS = Number(process.argv[3] ?? 5);
const SECONDS = Number(process.argv[4] ?? 15);

function cli(dataDir, ...args) {
  const r = spawnSync(process.execPath, [CLI, 'server', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rampart server ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function lines(child, onLine) {
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const l of parts) onLine(l);
  });
}

const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

async function run(sockets) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rampart-live-load-'));
  cli(dataDir, 'agency', 'add', 'bench');
  const enroll = cli(dataDir, 'token', 'create', '--agency', 'bench', '--uses', String(AGENTS), '--expires', '1d');
  const soc = cli(dataDir, 'user', 'add', 'soc', '--role', 'soc');
  const server = spawn(process.execPath, [CLI, 'server', 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RAMPART_MAX_FRAME_BYTES: String(4 * 1024 * 1024), RAMPART_MAX_CONNECTIONS_PER_ADDRESS: '100000' },
  });
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('collector did not start')), 30_000);
    lines(server, (l) => {
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  const live = { messages: 0, latency: [], summaries: 0 };
  const subs = [];
  for (let i = 0; i < sockets; i++) {
    const { ticket } = await (await fetch(`${url}/api/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${soc}` } })).json();
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?ticket=${ticket}`);
    ws.on('message', (m) => {
      const e = JSON.parse(String(m));
      live.messages++;
      if (e.type === 'result' && !e.ruleId) live.summaries++;
      if (typeof e.sentAt === 'number') live.latency.push(Date.now() - e.sentAt);
    });
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    subs.push(ws);
  }
  const load = spawn(process.execPath, [path.join(REPO, 'bench/ingest/load.mjs'), '--url', url, '--agents', String(AGENTS), '--token', enroll, '--phases', `max:${SECONDS}`, '--warmup', '3', '--concurrency', process.env.LOAD_CONCURRENCY ?? '20'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const health = [];
  let measuring = false;
  let phase;
  lines(load, (l) => {
    const e = JSON.parse(l);
    if (e.event === 'connected') measuring = true;
    if (e.event === 'phase') phase = e;
  });
  const probe = setInterval(async () => {
    if (!measuring) return;
    const t = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.text());
    health.push(performance.now() - t);
  }, 100);
  await new Promise((r) => load.once('exit', r));
  clearInterval(probe);
  for (const ws of subs) ws.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  return {
    dashboards: sockets,
    resultsPerSec: phase?.resultsPerSec ?? null,
    ackP50Ms: phase?.ackP50Ms ?? null,
    ackP99Ms: phase?.ackP99Ms ?? null,
    healthzP99Ms: pct(health, 99),
    healthzMaxMs: pct(health, 100),
    liveMessagesPerSocket: sockets ? Math.round(live.messages / sockets) : 0,
    liveSummaryMessages: live.summaries,
    liveLatencyP50Ms: pct(live.latency, 50),
    liveLatencyP99Ms: pct(live.latency, 99),
    closes: phase?.closes ?? null,
  };
}

const out = { agents: AGENTS, seconds: SECONDS, loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10), runs: [] };
for (const k of [0, SOCKETS]) out.runs.push(await run(k));
console.log(JSON.stringify(out, null, 2));
