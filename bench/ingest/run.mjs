#!/usr/bin/env node
/**
 * @module bench/ingest: the collector's sustained ingest on this machine. Starts the real
 * collector (`rampart server start`, its own process), a load generator (bench/ingest/load.mjs,
 * another process) simulating N agents over real WebSockets, and measures sustained results/s,
 * ack latency (at saturation and at half that rate), collector RSS and CPU, and /healthz latency
 * under load — beside the raw limit (bench/ingest/raw-server.mjs) measured in the same run.
 *
 * Usage: npm run bench:ingest [-- --agents 1000,5000 --seconds 20 --half-seconds 15 --results 100 --write]
 *   --write   replace the "Collector ingest (bench/ingest)" section of docs/PERFORMANCE.md.
 * Loopback only; every loop and phase is bounded in time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/rampart.js');
const HERE = path.join(REPO, 'bench/ingest');
const DOC = path.join(REPO, 'docs/PERFORMANCE.md');
const SECTION = '## Collector ingest (bench/ingest)';
const NOFILE = 20000;

const { values: opts } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000,5000' },
    seconds: { type: 'string', default: '20' },
    'half-seconds': { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    results: { type: 'string', default: '100' },
    'raw-agents': { type: 'string', default: '1000' },
    'max-inflight': { type: 'string', default: '400' },
    write: { type: 'boolean', default: false },
  },
});

if (!existsSync(CLI)) {
  process.stderr.write('bench/ingest: dist/rampart.js is missing; run `npm run build` (npm run bench:ingest does)\n');
  process.exit(2);
}

/** Run a child with a raised open-files limit (prlimit, no shell). */
function spawnWithFiles(args, options = {}) {
  const usePrlimit = existsSync('/usr/bin/prlimit');
  const cmd = usePrlimit ? '/usr/bin/prlimit' : process.execPath;
  const argv = usePrlimit ? [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, ...args] : args;
  return spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

function cli(dataDir, ...args) {
  const r = spawnSync(process.execPath, [CLI, 'server', ...args, '--data-dir', dataDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rampart server ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** First stdout line matching `pred`, bounded by a timeout. */
function waitLine(child, pred, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    rl.on('line', (line) => {
      const m = pred(line);
      if (m) {
        clearTimeout(t);
        rl.close();
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`${what}: process exited with ${code}`)));
  });
}

/** RSS and CPU of a process from /proc, sampled every 250 ms. */
class ProcSampler {
  constructor(pid) {
    this.pid = pid;
    this.tick = os.constants?.CLK_TCK ?? 100;
    this.samples = [];
    this.timer = setInterval(() => this.sample(), 250);
    this.sample();
  }
  sample() {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuTicks = Number(fields[11]) + Number(fields[12]);
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? 0);
      this.samples.push({ t: performance.now(), cpuS: cpuTicks / 100, rssMB: rssKb / 1024 });
    } catch {
      /* process gone */
    }
  }
  window(t0, t1) {
    const s = this.samples.filter((x) => x.t >= t0 && x.t <= t1);
    if (s.length < 2) return { cpuPercent: null, rssPeakMB: null, rssEndMB: null };
    const first = s[0];
    const last = s[s.length - 1];
    return {
      cpuPercent: Math.round((100 * (last.cpuS - first.cpuS)) / ((last.t - first.t) / 1000)),
      rssPeakMB: Math.round(Math.max(...s.map((x) => x.rssMB))),
      rssEndMB: Math.round(last.rssMB),
    };
  }
  peak() {
    return Math.round(Math.max(0, ...this.samples.map((x) => x.rssMB)));
  }
  stop() {
    clearInterval(this.timer);
  }
}

/** GET /healthz every 100 ms on a keep-alive connection; latencies per window. */
class HealthProbe {
  constructor(port) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.port = port;
    this.samples = [];
    this.stopped = false;
    this.loop();
  }
  async loop() {
    while (!this.stopped) {
      const t0 = performance.now();
      const ok = await new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: this.port, path: '/healthz', agent: this.agent, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('error', () => resolve(false));
        req.on('timeout', () => req.destroy());
      });
      this.samples.push({ t: t0, ms: performance.now() - t0, ok });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  window(t0, t1) {
    const s = this.samples.filter((x) => x.t >= t0 && x.t <= t1);
    const ms = s.map((x) => x.ms).sort((a, b) => a - b);
    const p = (q) => (ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] * 10) / 10 : null);
    return { healthP50Ms: p(0.5), healthP99Ms: p(0.99), healthMaxMs: ms.length ? Math.round(ms[ms.length - 1] * 10) / 10 : null, healthFailures: s.filter((x) => !x.ok).length, healthSamples: s.length };
  }
  stop() {
    this.stopped = true;
    this.agent.destroy();
  }
}

/** Drive one server process with the load generator; collect per-phase numbers. */
async function drive({ port, pid, mode, agents, token, phases }) {
  const sampler = new ProcSampler(pid);
  const health = new HealthProbe(port);
  const load = spawnWithFiles([path.join(HERE, 'load.mjs'), '--urls', `http://127.0.0.1:${port}`, '--agents', String(agents), '--mode', mode, '--token', token ?? '', '--phases', phases, '--warmup', opts.warmup, '--results', opts.results, '--max-inflight', opts['max-inflight']]);
  load.stderr.on('data', (d) => process.stderr.write(d));
  const loadSampler = new ProcSampler(load.pid);
  const out = { connected: null, phases: [], loadAverageAtStart: os.loadavg()[0] };
  let phaseStart = performance.now();
  const rl = readline.createInterface({ input: load.stdout });
  const warmupMs = Number(opts.warmup) * 1000;
  rl.on('line', (line) => {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    if (ev.event === 'connected') {
      out.connected = { ...ev, collectorRssMB: sampler.window(0, performance.now()).rssEndMB };
    } else if (ev.event === 'phase-start') phaseStart = performance.now();
    else if (ev.event === 'phase') {
      const t0 = phaseStart + warmupMs;
      const t1 = performance.now();
      out.phases.push({ ...ev, ...sampler.window(t0, t1), ...health.window(t0, t1), loadGeneratorCpuPercent: loadSampler.window(t0, t1).cpuPercent, machineLoadAverage: os.loadavg()[0] });
    }
  });
  const limitMs = 30 * 60_000;
  const code = await new Promise((resolve) => {
    const t = setTimeout(() => load.kill('SIGKILL'), limitMs);
    load.on('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  sampler.stop();
  loadSampler.stop();
  health.stop();
  out.rssPeakMB = sampler.peak();
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return out;
}

async function runRampart(agents) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-ingest-'));
  try {
    cli(dataDir, 'agency', 'add', 'bench');
    const token = cli(dataDir, 'token', 'create', '--agency', 'bench', '--uses', String(agents), '--expires', '1d');
    const server = spawnWithFiles([CLI, 'server', 'start', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { env: { ...process.env, RAMPART_MAX_FRAME_BYTES: String(4 * 1024 * 1024) } });
    server.stderr.on('data', (d) => process.stderr.write(d));
    const port = await waitLine(server, (l) => Number(/listening on http:\/\/[^:]+:(\d+)/.exec(l)?.[1]) || null, 20_000, 'collector start');
    try {
      const r = await drive({ port, pid: server.pid, mode: 'rampart', agents, token, phases: `max:${opts.seconds},half:${opts['half-seconds']}` });
      return { agents, ...r };
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => {
        const t = setTimeout(() => {
          server.kill('SIGKILL');
          resolve();
        }, 15_000);
        server.on('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runRaw(agents) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-raw-'));
  const server = spawnWithFiles([path.join(HERE, 'raw-server.mjs'), '--port', '0', '--data-dir', dataDir]);
  server.stderr.on('data', (d) => process.stderr.write(d));
  try {
    const port = await waitLine(server, (l) => (l.startsWith('{') ? JSON.parse(l).port : null), 20_000, 'raw server start');
    return { agents, ...(await drive({ port, pid: server.pid, mode: 'raw', agents, phases: `max:${opts.seconds}` })) };
  } finally {
    server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

/** Results stored per CPU-second of the server process: throughput corrected for CPU it did not get. */
function perCpu(p) {
  return p.cpuPercent ? Math.round(p.resultsPerSec / (p.cpuPercent / 100)) : 0;
}

function markdown(report) {
  const raw = report.raw.phases[0];
  const half = raw.resultsPerSec / 2;
  const lines = [];
  lines.push(SECTION, '');
  lines.push(`Measured ${report.date} on ${report.machine}. Rerun: \`npm run bench:ingest -- --write\``);
  lines.push(
    `(collector = \`rampart server start\` in its own process; load = \`bench/ingest/load.mjs\` in another, ${report.resultsPerFrame} results of ~${Math.round(report.frameBytes / report.resultsPerFrame)} B per frame, window 8 per agent; "saturated" keeps ${opts['max-inflight']} frames in flight fleet-wide, taken round-robin from every agent; every 10th result flips status on each frame so history, findings and counters are written; ${opts.seconds} s measured after ${opts.warmup} s warm-up; "Machine load avg" is the 1-minute load average of this 2-core machine, which other work shares: above 2, every process got only part of a core).`,
    '',
  );
  lines.push('| Run | Agents | Phase | Results/s | Ack p50 | Ack p99 | Server CPU | Results per server CPU-second | Server RSS peak | /healthz p50 / p99 / max | Load gen CPU | Machine load avg |');
  lines.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
  const row = (name, agents, p) =>
    `| ${name} | ${agents} | ${p.phase === 'max' ? 'saturated' : `fixed ${p.targetResultsPerSec}/s`} | ${p.resultsPerSec.toLocaleString('en-US')} | ${p.ackP50Ms} ms | ${p.ackP99Ms} ms | ${p.cpuPercent}% | ${perCpu(p).toLocaleString('en-US')} | ${p.rssPeakMB} MB | ${p.healthP50Ms} / ${p.healthP99Ms} / ${p.healthMaxMs} ms | ${p.loadGeneratorCpuPercent}% | ${p.machineLoadAverage?.toFixed(1)} |`;
  lines.push(row('raw limit (no validation)', report.raw.agents, raw));
  for (const r of report.rampart) for (const p of r.phases) lines.push(row('Rampart collector', r.agents, p));
  lines.push('');
  const best = Math.max(...report.rampart.map((r) => r.phases.find((p) => p.phase === 'max')?.resultsPerSec ?? 0));
  lines.push('Goals (issue 3):', '');
  lines.push(`- Sustained ≥ half the raw limit (${Math.round(half).toLocaleString('en-US')} results/s): best ${best.toLocaleString('en-US')} results/s = ${Math.round((100 * best) / raw.resultsPerSec)}% of raw — ${best >= half ? 'met' : 'NOT met'}.`);
  const bestPerCpu = Math.max(...report.rampart.map((r) => perCpu(r.phases.find((p) => p.phase === 'max') ?? {})));
  lines.push(`- Same goal per server CPU-second (robust to CPU the machine's other work took): Rampart ${bestPerCpu.toLocaleString('en-US')} vs raw ${perCpu(raw).toLocaleString('en-US')} = ${Math.round((100 * bestPerCpu) / perCpu(raw))}% — ${bestPerCpu * 2 >= perCpu(raw) ? 'met' : 'NOT met'}.`);
  for (const r of report.rampart) {
    const h = r.phases.find((p) => p.phase === 'rate');
    if (h) lines.push(`- p99 ack ≤ 100 ms at half the sustained rate, ${r.agents} agents: ${h.ackP99Ms} ms at ${h.resultsPerSec.toLocaleString('en-US')} results/s — ${h.ackP99Ms <= 100 ? 'met' : 'NOT met'}.`);
  }
  const r5 = report.rampart.find((r) => r.agents >= 5000);
  if (r5) lines.push(`- 5,000 agents with collector RSS ≤ 300 MB: peak ${r5.rssPeakMB} MB (connected and idle: ${r5.connected.collectorRssMB} MB) — ${r5.rssPeakMB <= 300 ? 'met' : 'NOT met'}.`);
  const hmax = Math.max(...report.rampart.flatMap((r) => r.phases.map((p) => p.healthMaxMs ?? 0)));
  lines.push(`- /healthz < 100 ms at full ingest load: worst single answer ${hmax} ms — ${hmax < 100 ? 'met' : 'NOT met'}.`);
  lines.push('');
  for (const r of report.rampart) lines.push(`Connecting ${r.agents} agents (challenge + signed upgrade + hello/welcome, 100 at a time) took ${r.connected.connectSeconds} s; enrolling them ${r.connected.enrollSeconds} s.`);
  lines.push(
    '',
    'How to read this:',
    '',
    '- The raw limit is `bench/ingest/raw-server.mjs`: ws receive + `JSON.parse` + one batched SQLite upsert per result (same frames, same WAL settings), no authentication, validation, history, findings or counters. It has no flow control: at saturation its event loop stalls (see its /healthz column), which is the failure the collector is built to avoid.',
    '- The collector parses every frame once with zod at the edge in 4 ms slices, commits in transactions of at most 2,000 results (one upsert per result returning the previous status; history, findings and per-agency counters only on a status change), acknowledges after the commit, yields between batches, checkpoints the WAL in a worker thread, and pauses sockets (resuming 64 at a time) when its backlog passes 8 MB or 8,000 parsed results.',
    '- "Saturated" ack latency is queueing: with a fleet-wide backlog of N frames, an ack waits for the frames ahead of it. The p99 goal applies to the fixed-rate rows (half the saturated rate).',
    '- The machine was shared with other work during the run (see the load average column). When the load average is far above 2, each process got a fraction of a core and was descheduled for tens to hundreds of milliseconds at a time; those pauses land directly in ack and /healthz tail latencies, and throughput drops. "Results per server CPU-second" divides throughput by the CPU the server actually got, the fairer comparison with the raw limit on a shared machine.',
    '',
    'Raw JSON of the last run: `bench/ingest/results/latest.json`.',
    '',
  );
  return lines.join('\n');
}

function writeSection(md) {
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Performance\n';
  const start = doc.indexOf(SECTION);
  let next;
  if (start < 0) next = doc.trimEnd() + '\n\n' + md;
  else {
    const after = doc.indexOf('\n## ', start + SECTION.length);
    next = doc.slice(0, start) + md + (after < 0 ? '' : doc.slice(after + 1));
  }
  writeFileSync(DOC, next.endsWith('\n') ? next : next + '\n');
}

async function main() {
  const report = { date: new Date().toISOString(), machine: machine(), resultsPerFrame: Number(opts.results) };
  process.stderr.write(`bench/ingest: raw limit with ${opts['raw-agents']} agents\n`);
  report.raw = await runRaw(Number(opts['raw-agents']));
  report.frameBytes = report.raw.connected.frameBytes;
  report.rampart = [];
  for (const n of opts.agents.split(',').map(Number)) {
    process.stderr.write(`bench/ingest: Rampart collector with ${n} agents\n`);
    report.rampart.push(await runRampart(n));
  }
  mkdirSync(path.join(HERE, 'results'), { recursive: true });
  writeFileSync(path.join(HERE, 'results/latest.json'), JSON.stringify(report, null, 2) + '\n');
  const md = markdown(report);
  process.stdout.write(md + '\n');
  if (opts.write) writeSection(md);
}

main().catch((err) => {
  process.stderr.write(`bench/ingest: ${err.stack ?? err}\n`);
  process.exit(3);
});
