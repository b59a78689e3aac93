#!/usr/bin/env node
/**
 * @module bench/agent-dist: what the two self-contained agent forms cost, with real processes.
 *   1. size: dist/agent/rampart-agent.mjs (+ rules/), the single executable, and the deb/tar/rpm
 *      installers `rampart server package` makes from them;
 *   2. cold start: a new process per run (page cache warm): `--version`, and a full `scan` of the
 *      captured debian12-default host with the shipped packs (--no-cache), median of N runs;
 *      the full `rampart` CLI (dist/rampart.js) alongside for comparison;
 *   3. idle RSS of a long-running `agent run` 5 s after its first scan and delivery, and after
 *      --idle-seconds more (shipped packs, fixture root, real collector from `rampart server start`).
 * Usage: npm run build && node bench/agent-dist/run.mjs [--runs 7] [--idle-seconds 60] [--no-build]
 * Prints JSON on stdout; progress on stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/rampart.js');
const FIXTURE = path.join(REPO, 'test/fixtures/hosts/debian12-default');
const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '7' }, 'idle-seconds': { type: 'string', default: '60' }, 'no-build': { type: 'boolean', default: false } } });
const IDLE_SECONDS = Math.max(0, Number(opts['idle-seconds']) || 0);
const RUNS = Math.max(3, Math.min(50, Number(opts.runs) || 7));
const say = (s) => process.stderr.write(`${s}\n`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-dist-'));
const AGENT = path.join(tmp, 'agent');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function dirBytes(dir) {
  return readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
}

/** Wall time and peak RSS (GNU time) of one fresh process. */
function timed(cmd, args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { wallMs, rssMB: Number(r.stderr.trim().split('\n').at(-1)) / 1024 };
}

const FORMS = {
  'bundle (node rampart-agent.mjs)': [process.execPath, [path.join(AGENT, 'rampart-agent.mjs')]],
  'single executable (rampart-agent)': [path.join(AGENT, 'rampart-agent'), []],
  'full CLI (node dist/rampart.js)': [process.execPath, [CLI]],
};

// 0. build ---------------------------------------------------------------------------------------
if (!opts['no-build'] || !statSync(path.join(REPO, 'dist/agent/rampart-agent'), { throwIfNoEntry: false })) {
  const b = spawnSync(process.execPath, [path.join(REPO, 'scripts/build-agent.mjs'), '--sea', '--out', AGENT], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) throw new Error('agent build failed');
} else {
  spawnSync('cp', ['-r', path.join(REPO, 'dist/agent'), AGENT]);
}

// 1. size ----------------------------------------------------------------------------------------
const size = {
  bundleBytes: statSync(path.join(AGENT, 'rampart-agent.mjs')).size,
  rulesBytes: dirBytes(path.join(AGENT, 'rules')),
  seaBytes: statSync(path.join(AGENT, 'rampart-agent')).size,
  nodeBinaryBytes: statSync(process.execPath).size,
};
const data = path.join(tmp, 'collector');
spawnSync(process.execPath, [CLI, 'server', 'agency', 'add', 'bench', '--data-dir', data], { stdio: 'ignore' });
for (const [key, extra] of [
  ['debSeaBytes', ['--format', 'deb']],
  ['debNodeBytes', ['--format', 'deb', '--runtime', 'node']],
  ['tarSeaBytes', ['--format', 'tar']],
  ...(spawnSync('sh', ['-c', 'command -v rpmbuild']).status === 0 ? [['rpmSeaBytes', ['--format', 'rpm']]] : []),
]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'server', 'package', '--agency', 'bench', '--data-dir', data, '--agent-dir', AGENT, '--out', path.join(tmp, 'pkg'), '--server-url', 'http://127.0.0.1:8420', ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`package ${extra.join(' ')} failed: ${r.stderr}`);
  size[key] = statSync(r.stdout.trim()).size;
  size[key.replace('Bytes', 'BuildMs')] = Math.round(performance.now() - t0);
}
say(`size: ${JSON.stringify(size)}`);

// 2. cold start ------------------------------------------------------------------------------------
const start = {};
for (const [name, [cmd, pre]] of Object.entries(FORMS)) {
  timed(cmd, [...pre, '--version']); // warm the page cache once
  const version = Array.from({ length: RUNS }, () => timed(cmd, [...pre, '--version']));
  const scan = Array.from({ length: RUNS }, () => timed(cmd, [...pre, 'scan', '--root', FIXTURE, '--format', 'json', '--no-cache']));
  start[name] = {
    versionMs: Math.round(median(version.map((r) => r.wallMs))),
    versionRssMB: +median(version.map((r) => r.rssMB)).toFixed(1),
    scanMs: Math.round(median(scan.map((r) => r.wallMs))),
    scanPeakRssMB: +median(scan.map((r) => r.rssMB)).toFixed(1),
  };
  say(`${name}: ${JSON.stringify(start[name])}`);
}

// 3. idle RSS of `agent run` ------------------------------------------------------------------------
const port = await freePort();
const collector = spawn(process.execPath, [CLI, 'server', 'start', '--data-dir', data, '--port', String(port), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  let out = '';
  collector.stdout.on('data', (d) => {
    out += d;
    if (out.includes('listening')) resolve();
  });
  collector.once('exit', (c) => reject(new Error(`collector exited ${c}`)));
});
const idle = {};
for (const [name, [cmd, pre]] of Object.entries(FORMS)) {
  const token = spawnSync(process.execPath, [CLI, 'server', 'token', 'create', '--agency', 'bench', '--data-dir', data], { encoding: 'utf8' }).stdout.trim();
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', RAMPART_FIXTURE_ROOT: FIXTURE, RAMPART_STATE_DIR: path.join(tmp, `state-${Object.keys(idle).length}`), RAMPART_LOG_LEVEL: 'info' };
  const e = spawnSync(cmd, [...pre, 'agent', 'enroll', '--server', `http://127.0.0.1:${port}`], { env: { ...env, RAMPART_ENROLL_TOKEN: token }, encoding: 'utf8' });
  if (e.status !== 0) throw new Error(`enroll failed: ${e.stderr}`);
  const daemon = spawn(cmd, [...pre, 'agent', 'run'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve) => {
    let err = '';
    daemon.stderr.on('data', (d) => {
      err += d;
      if (err.includes('"Scan queued"') && err.includes('"Connected"')) resolve();
    });
  });
  const rssMB = () => +(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))[1]) / 1024).toFixed(1);
  await new Promise((r) => setTimeout(r, 5000));
  const settled = rssMB();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  idle[name] = { settledMB: settled, [`after${IDLE_SECONDS}sMB`]: rssMB() };
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  say(`${name}: idle agent RSS ${settled} MB 5 s after the first scan, ${idle[name][`after${IDLE_SECONDS}sMB`]} MB ${IDLE_SECONDS} s later`);
}
collector.kill('SIGTERM');
await new Promise((r) => collector.once('exit', r));
rmSync(tmp, { recursive: true, force: true });

const machine = { cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`, node: process.version, loadavg: os.loadavg().map((x) => +x.toFixed(1)), at: new Date().toISOString() };
process.stdout.write(JSON.stringify({ machine, runs: RUNS, size, start, idleRssMB: idle }, null, 2) + '\n');
