#!/usr/bin/env node
/**
 * @module bench/agent: what the agent daemon costs on this machine, with real processes.
 *   1. outbox: durable append (temp + fsync + rename + dir fsync) and ack removal, frames/s, for
 *      frames of 60 results (agent/daemon/outbox.ts bundled with esbuild);
 *   2. `rampart agent run --once` against a real collector (`rampart server start`): wall time and
 *      peak RSS for the first full state and for a delta, 60-rule pack on a fixture root;
 *   3. backlog drain: an outbox of N frames (built while the collector is down) delivered by
 *      `run --once` once it is back: frames/s through the window;
 *   4. footprint (the issue-6 goals: idle RSS ≤ 60 MB, CPU per baseline scan ≤ 200 ms): a
 *      long-running `agent run`'s own RSS once its first scan settled and after --idle-seconds, its
 *      peak, its own CPU per scan, and what each scan process cost (CPU by phase: start-up, packs,
 *      scan; peak RSS), for the 60-rule pack on a fixture root and for the baseline pack
 *      (rules/linux-network-baseline.yaml) on the captured debian12-default host and on this live host;
 *      then the two designs side by side on the same packs: a scan process (validated-pack cache on
 *      and off) and N scans inside one long-running process (the design before the watchdog).
 * Usage: npm run build && node bench/agent/run.mjs [--frames 300] [--scans 5] [--idle-seconds 60]
 *        [--only delivery|footprint|idle] [--node-flags "..."]   (RAMPART_BENCH_CLI=dist/agent/rampart-agent.mjs
 *        measures the agent bundle, RAMPART_BENCH_CLI=dist/agent/rampart-agent the single executable,
 *        instead of the full CLI; build them with npm run build:agent / build:agent-sea)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { measureDaemon } from './daemon-footprint.mjs';
import { commandOf, hostSize, loadAverage, median, range } from './proc.mjs';
import { inProcessScans, workerScan } from './worker-cost.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The collector always runs from the full CLI; the agent under test is RAMPART_BENCH_CLI (default the same). */
const FULL = path.join(REPO, 'dist/rampart.js');
const CLI = path.resolve(process.env.RAMPART_BENCH_CLI ?? FULL);
const PACK = path.join(REPO, 'test/fixtures/packs/agent-stream.yaml');
const BASELINE = path.join(REPO, 'rules/linux-network-baseline.yaml');
const DEBIAN12 = path.join(REPO, 'test/fixtures/hosts/debian12-default');
const { values: opts } = parseArgs({
  options: {
    frames: { type: 'string', default: '300' },
    scans: { type: 'string', default: '5' },
    'idle-seconds': { type: 'string', default: '60' },
    only: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
  },
});
const FRAMES = Math.max(10, Math.min(5000, Number(opts.frames) || 300));
const SCANS = Math.max(2, Math.min(50, Number(opts.scans) || 5));
const IDLE_SECONDS = Math.max(0, Number(opts['idle-seconds']) || 0);
const NODE_FLAGS = opts['node-flags'].split(' ').filter(Boolean);
const ONLY = opts.only;
const say = (s) => process.stderr.write(`${s}\n`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-agent-'));

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function rampart(args, env = {}, cli = CLI) {
  const t0 = performance.now();
  const [file, argv] = commandOf(cli, args);
  const r = spawnSync('/usr/bin/time', ['-f', '%M', file, ...argv], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  const lines = r.stderr.trim().split('\n');
  const rssKB = Number(lines.at(-1));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, wallMs, rssMB: rssKB / 1024 };
}

async function startCollector(dataDir, port) {
  const child = spawn(process.execPath, [FULL, 'server', 'start', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('listening')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`collector exited ${c}`)));
  });
  return child;
}

function fixtureRoot(dir, markers) {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  mkdirSync(path.join(dir, 'var/lib/rampart-test'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
  writeFileSync(path.join(dir, 'etc/hostname'), 'bench-host\n');
  for (const m of markers) writeFileSync(path.join(dir, `var/lib/rampart-test/marker-${String(m).padStart(2, '0')}`), '');
}

const out = { machine: { node: process.version, cores: os.cpus().length, loadBefore: loadAverage(), ...hostSize() }, cli: path.relative(REPO, CLI) };
const dataDir = path.join(tmp, 'collector');
const port = await freePort();
let collector = await startCollector(dataDir, port);
spawnSync(process.execPath, [FULL, 'server', 'agency', 'add', 'bench', '--data-dir', dataDir]);
const newToken = () => spawnSync(process.execPath, [FULL, 'server', 'token', 'create', '--agency', 'bench', '--data-dir', dataDir], { encoding: 'utf8' }).stdout.trim();
const root = path.join(tmp, 'root');
fixtureRoot(root, [0, 1, 2]);
const env = { RAMPART_FIXTURE_ROOT: root, RAMPART_STATE_DIR: path.join(tmp, 'state'), RAMPART_PACKS: PACK, RAMPART_LOG_LEVEL: 'warn', RAMPART_BACKOFF_BASE_MS: '100', RAMPART_BACKOFF_CAP_MS: '500' };
/** Enroll a fresh agent state dir with the collector. */
function enrollAgent(agentEnv) {
  const r = rampart(['agent', 'enroll', '--server', `http://127.0.0.1:${port}`, '--token', newToken()], agentEnv);
  if (r.code !== 0) throw new Error(`enroll failed: ${r.stderr}`);
}
enrollAgent(env);

if (!ONLY || ONLY === 'delivery') {
  // 1. Outbox primitives ------------------------------------------------------------------------
  const outboxJs = path.join(REPO, 'node_modules/.cache/rampart-bench-agent/outbox.mjs');
  await build({ entryPoints: [path.join(REPO, 'agent/daemon/outbox.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: outboxJs, logLevel: 'silent' });
  const { Outbox } = await import(outboxJs);
  const { pino } = await import('pino');
  const result = (i) => ({ ruleId: `linux.bench.rule-${i}`, packId: 'bench', title: 'A rule', severity: 'medium', status: 'fail', expected: 'x is 0', observed: 'x is 1', evidence: [{ probe: 'sysctl', params: { key: 'x' }, status: 'fail', expected: 'runtime eq 0', observed: { runtime: 1 }, sources: ['/proc/sys/x'] }], references: { directives: ['M-22-09'], nist: ['CM-7'], stig: [], cis: [], cac: [], cve: [], other: [] }, remediation: 'Set x to 0.', durationMs: 0.4 });
  const box = await Outbox.open(path.join(tmp, 'outbox'), { maxFrames: 100_000, maxBytes: 1 << 30 }, pino({ level: 'silent' }));
  const results60 = Array.from({ length: 60 }, (_, i) => result(i));
  let t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) await box.append((seq) => ({ v: 1, type: 'results', seq, full: false, results: results60 }));
  const appendPerSec = FRAMES / ((performance.now() - t0) / 1000);
  const frameBytes = box.bytes / FRAMES;
  t0 = performance.now();
  for (const seq of box.seqs()) await box.remove(seq);
  const removePerSec = FRAMES / ((performance.now() - t0) / 1000);
  say(`outbox: append ${appendPerSec.toFixed(0)} frames/s (${(frameBytes / 1024).toFixed(1)} KiB each), remove ${removePerSec.toFixed(0)} frames/s`);
  out.outbox = { appendPerSec: Math.round(appendPerSec), removePerSec: Math.round(removePerSec), frameKiB: +(frameBytes / 1024).toFixed(1) };

  // 2. run --once, full then delta ----------------------------------------------------------------
  const full = rampart(['agent', 'run', '--once'], env);
  writeFileSync(path.join(root, 'var/lib/rampart-test/marker-10'), '');
  const delta = rampart(['agent', 'run', '--once'], env);
  const nothing = rampart(['agent', 'run', '--once'], env);
  say(`run --once: full ${full.wallMs.toFixed(0)} ms / ${full.rssMB.toFixed(0)} MB, delta ${delta.wallMs.toFixed(0)} ms / ${delta.rssMB.toFixed(0)} MB, unchanged ${nothing.wallMs.toFixed(0)} ms`);
  out.once = { fullMs: Math.round(full.wallMs), fullRssMB: Math.round(full.rssMB), deltaMs: Math.round(delta.wallMs), unchangedMs: Math.round(nothing.wallMs) };

  // 3. backlog drain ------------------------------------------------------------------------------
  collector.kill('SIGKILL');
  await new Promise((r) => collector.once('exit', r));
  const framesDir = path.join(tmp, 'state/outbox');
  const { next } = JSON.parse(readFileSync(path.join(framesDir, 'seq.json'), 'utf8'));
  // Fill the outbox the way a long outage does: delta frames queued by the (offline) agent.
  const backlog = await Outbox.open(framesDir, { maxFrames: 100_000, maxBytes: 1 << 30 }, pino({ level: 'silent' }));
  const ackedState = JSON.parse(readFileSync(path.join(tmp, 'state/acked-state.json'), 'utf8'));
  const last = ackedState.lastScan;
  for (let i = 0; i < FRAMES; i++) {
    await backlog.append((seq) => ({ v: 1, type: 'results', seq, scanId: `${last.scanId}-b${i}`, scannedAt: last.scannedAt, packs: [], full: false, results: [] }));
  }
  collector = await startCollector(dataDir, port);
  const drain = rampart(['agent', 'run', '--once', '--timeout', '300'], env);
  const drained = (await fs.readdir(framesDir)).filter((n) => n.endsWith('.frame')).length;
  say(`backlog: ${FRAMES} frames (from seq ${next}) delivered in ${drain.wallMs.toFixed(0)} ms incl. start-up and a scan (exit ${drain.code}, ${drained} left) = ${(FRAMES / (drain.wallMs / 1000)).toFixed(0)} frames/s`);
  out.backlog = { frames: FRAMES, ms: Math.round(drain.wallMs), exit: drain.code, left: drained };
}

if (!ONLY || ONLY === 'footprint' || ONLY === 'idle') await footprintSection();
await finish();

async function footprintSection() {
  // 4. footprint: the daemon, its scan processes, and the design before the watchdog ------------------
  const summarize = (label, r, idleSeconds) => {
    // The first scan of a run fills caches (and races the connection); count it only if it is the only one.
    const s0 = r.scans;
    const s = s0.length > 1 ? s0 : [...s0, ...s0];
    const line = {
      idleSettledMB: +r.settled.rssMB.toFixed(1),
      idleAfterMB: +r.idle.rssMB.toFixed(1),
      idleAnonFileMB: `${r.idle.anonMB.toFixed(1)} + ${r.idle.fileMB.toFixed(1)}`,
      daemonPeakMB: +r.idle.peakMB.toFixed(1),
      scanProcessPeakMB: median(s.map((x) => x.peakRssMb)),
      scanProcessCpuMs: median(s.slice(1).map((x) => x.cpuMs)),
      scanProcessCpuRange: s.length > 1 ? range(s.slice(1).map((x) => x.cpuMs)) : undefined,
      phasesMs: `${median(s.slice(1).map((x) => x.startupCpuMs))}/${median(s.slice(1).map((x) => x.packsCpuMs))}/${median(s.slice(1).map((x) => x.scanCpuMs))}`,
      commandsCpuMs: median(s.slice(1).map((x) => x.commandsCpuMs)),
      scanWallMs: median(s.slice(1).map((x) => x.wallMs)),
      // Timed from the second scan on: a run with one scan (--only idle) has none.
      daemonCpuPerScanMs: r.daemonCpuPerScanMs.length > 0 ? median(r.daemonCpuPerScanMs) : null,
      rules: s0[0]?.rules,
      scans: s0.length,
    };
    say(`${label}: idle ${line.idleSettledMB} MB settled, ${line.idleAfterMB} MB after ${idleSeconds} s (anon + file ${line.idleAnonFileMB}), daemon peak ${line.daemonPeakMB} MB; scan process peak ${line.scanProcessPeakMB} MB, CPU ${line.scanProcessCpuMs} ms (${line.scanProcessCpuRange}; start-up/packs/scan ${line.phasesMs}) + commands ${line.commandsCpuMs} ms, daemon ${line.daemonCpuPerScanMs ?? 'n/a (one scan)'} ms per scan`);
    return line;
  };
  const agent = (name, extra) => {
    const e = { RAMPART_STATE_DIR: path.join(tmp, name), RAMPART_BACKOFF_BASE_MS: '100', RAMPART_BACKOFF_CAP_MS: '500', RAMPART_SCHEDULE: '*/15 * * * * *', ...extra };
    enrollAgent(e);
    return e;
  };
  const footprint = {};
  out.footprint = footprint;
  // The 60-rule stream pack on a fixture root (the earlier "idle RSS" row): one scan, then really idle
  // (no scheduled scan during the run) for --idle-seconds.
  footprint.streamPack = summarize('60-rule pack, fixture root', await measureDaemon({ cli: CLI, nodeFlags: NODE_FLAGS, env: agent('fp-stream', { RAMPART_FIXTURE_ROOT: root, RAMPART_PACKS: PACK, RAMPART_SCHEDULE: '0 0 1 1 *' }), scans: 1, idleSeconds: IDLE_SECONDS }), IDLE_SECONDS);
  if (ONLY === 'idle') return finish();
  // The baseline pack, a scan every 15 s: on the captured debian12 host (stable) and on this live host.
  footprint.baselineFixture = summarize('baseline pack, debian12-default fixture', await measureDaemon({ cli: CLI, nodeFlags: NODE_FLAGS, env: agent('fp-fixture', { RAMPART_FIXTURE_ROOT: DEBIAN12, RAMPART_PACKS: BASELINE }), scans: SCANS, idleSeconds: 5 }), 5);
  footprint.baselineLive = summarize('baseline pack, this live host', await measureDaemon({ cli: CLI, nodeFlags: NODE_FLAGS, env: agent('fp-live', { RAMPART_PACKS: BASELINE }), scans: SCANS, idleSeconds: 5 }), 5);

  // The designs side by side: one scan process per scan (cache on / off) vs scans in one process.
  const design = {};
  const cacheState = path.join(tmp, 'design-state');
  for (const [name, fixture] of [['fixture', DEBIAN12], ['live', undefined]]) {
    const runs = async (env, n) => {
      const r = [];
      // As the daemon starts them: the boot script, no V8 flag (agent/watchdog/scan-process.ts).
      for (let i = 0; i < n; i++) r.push(await workerScan({ repo: REPO, cli: CLI, stateDir: cacheState, pack: BASELINE, fixtureRoot: fixture, env }));
      return r;
    };
    await runs({}, 1); // fill the caches
    const cached = await runs({}, SCANS);
    const uncached = name === 'fixture' ? await runs({ RAMPART_PACK_CACHE: 'off' }, SCANS) : undefined;
    const inproc = await inProcessScans({ repo: REPO, cacheDir: path.join(cacheState, 'cache'), pack: BASELINE, fixtureRoot: fixture, scans: SCANS + 1, out: path.join(REPO, 'node_modules/.cache/rampart-bench-agent') });
    const d = {
      scanProcessCpuMs: median(cached.map((x) => x.cpuMs)),
      scanProcessPhasesMs: `${median(cached.map((x) => x.startupMs)).toFixed(0)}/${median(cached.map((x) => x.packsMs)).toFixed(0)}/${median(cached.map((x) => x.jobMs)).toFixed(0)}`,
      scanProcessPeakMB: +median(cached.map((x) => x.peakRssMB)).toFixed(1),
      ...(uncached ? { scanProcessNoPackCacheCpuMs: median(uncached.map((x) => x.cpuMs)), noPackCachePackMs: median(uncached.map((x) => x.packsMs)) } : {}),
      inProcessFirstScanCpuMs: +inproc.scans[0].cpuMs.toFixed(0),
      inProcessLaterScanCpuMs: +median(inproc.scans.slice(1).map((x) => x.cpuMs)).toFixed(0),
      inProcessRssAfterMB: +inproc.scans.at(-1).rssMB.toFixed(1),
    };
    say(`design, ${name} host: scan process ${d.scanProcessCpuMs.toFixed(0)} ms CPU (start-up/packs/scan ${d.scanProcessPhasesMs}), peak ${d.scanProcessPeakMB} MB${uncached ? `; without the pack cache ${d.scanProcessNoPackCacheCpuMs.toFixed(0)} ms (packs ${d.noPackCachePackMs.toFixed(0)} ms)` : ''}; in one process: first scan ${d.inProcessFirstScanCpuMs} ms, later ${d.inProcessLaterScanCpuMs} ms, RSS ${d.inProcessRssAfterMB} MB`);
    design[name] = d;
  }
  out.design = design;
}

async function finish() {
  if (out.machine.loadAfter) return;
  out.machine.loadAfter = loadAverage();
  collector.kill('SIGTERM');
  await new Promise((r) => collector.once('exit', r));
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
