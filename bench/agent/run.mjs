#!/usr/bin/env node
/**
 * @module bench/agent: what the agent daemon costs on this machine, with real processes.
 *   1. outbox: durable append (temp + fsync + rename + dir fsync) and ack removal, frames/s, for
 *      frames of 60 results (agent/daemon/outbox.ts bundled with esbuild);
 *   2. `rampart agent run --once` against a real collector (`rampart server start`): wall time and
 *      peak RSS for the first full state and for a delta, 60-rule pack on a fixture root;
 *   3. backlog drain: an outbox of N frames (built while the collector is down) delivered by
 *      `run --once` once it is back: frames/s through the window;
 *   4. idle RSS of a long-running `rampart agent run` after its first scan.
 * Usage: npm run build && node bench/agent/run.mjs [--frames 300]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI under test (default dist/rampart.js; RAMPART_BENCH_CLI points at another build). */
const CLI = process.env.RAMPART_BENCH_CLI ?? path.join(REPO, 'dist/rampart.js');
const PACK = path.join(REPO, 'test/fixtures/packs/agent-stream.yaml');
const { values: opts } = parseArgs({ options: { frames: { type: 'string', default: '300' } } });
const FRAMES = Math.max(10, Math.min(5000, Number(opts.frames) || 300));
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

function rampart(args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, CLI, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  const lines = r.stderr.trim().split('\n');
  const rssKB = Number(lines.at(-1));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, wallMs, rssMB: rssKB / 1024 };
}

async function startCollector(dataDir, port) {
  const child = spawn(process.execPath, [CLI, 'server', 'start', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

// 2. run --once, full then delta ----------------------------------------------------------------
const dataDir = path.join(tmp, 'collector');
const port = await freePort();
let collector = await startCollector(dataDir, port);
spawnSync(process.execPath, [CLI, 'server', 'agency', 'add', 'bench', '--data-dir', dataDir]);
const token = spawnSync(process.execPath, [CLI, 'server', 'token', 'create', '--agency', 'bench', '--data-dir', dataDir], { encoding: 'utf8' }).stdout.trim();
const root = path.join(tmp, 'root');
fixtureRoot(root, [0, 1, 2]);
const env = { RAMPART_FIXTURE_ROOT: root, RAMPART_STATE_DIR: path.join(tmp, 'state'), RAMPART_PACKS: PACK, RAMPART_LOG_LEVEL: 'warn', RAMPART_BACKOFF_BASE_MS: '100', RAMPART_BACKOFF_CAP_MS: '500' };
const enroll = rampart(['agent', 'enroll', '--server', `http://127.0.0.1:${port}`, '--token', token], env);
if (enroll.code !== 0) throw new Error(`enroll failed: ${enroll.stderr}`);
const full = rampart(['agent', 'run', '--once'], env);
writeFileSync(path.join(root, 'var/lib/rampart-test/marker-10'), '');
const delta = rampart(['agent', 'run', '--once'], env);
const nothing = rampart(['agent', 'run', '--once'], env);
say(`run --once: full ${full.wallMs.toFixed(0)} ms / ${full.rssMB.toFixed(0)} MB, delta ${delta.wallMs.toFixed(0)} ms / ${delta.rssMB.toFixed(0)} MB, unchanged ${nothing.wallMs.toFixed(0)} ms`);

// 3. backlog drain ------------------------------------------------------------------------------
collector.kill('SIGKILL');
await new Promise((r) => collector.once('exit', r));
const framesDir = path.join(tmp, 'state/outbox');
const { next } = JSON.parse(readFileSync(path.join(framesDir, 'seq.json'), 'utf8'));
// Fill the outbox the way a long outage does: delta frames queued by the (offline) agent.
const backlog = await Outbox.open(framesDir, { maxFrames: 100_000, maxBytes: 1 << 30 }, pino({ level: 'silent' }));
const identity = JSON.parse(readFileSync(path.join(tmp, 'state/identity.json'), 'utf8'));
void identity;
const ackedState = JSON.parse(readFileSync(path.join(tmp, 'state/acked-state.json'), 'utf8'));
const last = ackedState.lastScan;
for (let i = 0; i < FRAMES; i++) {
  await backlog.append((seq) => ({ v: 1, type: 'results', seq, scanId: `${last.scanId}-b${i}`, scannedAt: last.scannedAt, packs: [], full: false, results: [] }));
}
collector = await startCollector(dataDir, port);
const drain = rampart(['agent', 'run', '--once', '--timeout', '300'], env);
const drained = (await fs.readdir(framesDir)).filter((n) => n.endsWith('.frame')).length;
say(`backlog: ${FRAMES} frames (from seq ${next}) delivered in ${drain.wallMs.toFixed(0)} ms incl. start-up and a scan (exit ${drain.code}, ${drained} left) = ${(FRAMES / (drain.wallMs / 1000)).toFixed(0)} frames/s`);

// 4. idle RSS of a long-running agent ---------------------------------------------------------------
const daemon = spawn(process.execPath, [CLI, 'agent', 'run'], { env: { PATH: process.env.PATH, ...env, RAMPART_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((resolve) => {
  let err = '';
  daemon.stderr.on('data', (d) => {
    err += d;
    if (err.includes('"Scan queued"') && err.includes('"Connected"')) resolve();
  });
});
await new Promise((r) => setTimeout(r, 3000));
const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
const idleRssMB = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
say(`idle agent RSS after first scan: ${idleRssMB.toFixed(1)} MB`);

collector.kill('SIGTERM');
await new Promise((r) => collector.once('exit', r));
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({ outbox: { appendPerSec: Math.round(appendPerSec), removePerSec: Math.round(removePerSec), frameKiB: +(frameBytes / 1024).toFixed(1) }, once: { fullMs: Math.round(full.wallMs), fullRssMB: Math.round(full.rssMB), deltaMs: Math.round(delta.wallMs), unchangedMs: Math.round(nothing.wallMs) }, backlog: { frames: FRAMES, ms: Math.round(drain.wallMs), exit: drain.code, left: drained }, idleRssMB: +idleRssMB.toFixed(1) }, null, 2) + '\n',
);
