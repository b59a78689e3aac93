/**
 * @module What one scan costs in the two designs, on the same host and packs:
 *   - a scan process (the watchdog's design): the real `agent scan-worker` of the CLI under test,
 *     given a scan job over IPC exactly as the daemon does; its own report of CPU by phase;
 *   - a scan inside a long-running process (the design before the watchdog): the engine bundled
 *     with esbuild (bench/agent/in-process-scan.ts), packs loaded once, N scans in one process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { commandOf } from './proc.mjs';

/** One scan process; env RAMPART_PACK_CACHE=off turns the validated-pack cache off. */
export function workerScan({ repo, cli, stateDir, pack, fixtureRoot, env = {}, nodeFlags = [] }) {
  mkdirSync(stateDir, { recursive: true });
  const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
  const job = { type: 'job', version, kind: 'scan', agentId: 'bench', settings: { stateDir, packs: [pack], trustedKeys: path.join(stateDir, 'trusted-keys'), allowUnsigned: false, logLevel: 'warn', ...(fixtureRoot ? { fixtureRoot } : {}) }, denylist: [] };
  return new Promise((resolve, reject) => {
    // As the daemon starts it (ownWorkerCommand): node forms through the boot script beside the entry.
    const boot = path.join(path.dirname(cli), 'scan-worker-boot.cjs');
    const [file, args] = commandOf(/\.(m?js|cjs)$/.test(cli) && existsSync(boot) ? boot : cli, ['agent', 'scan-worker'], nodeFlags);
    const c = spawn(file, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let usage;
    let report;
    c.on('spawn', () => c.send(job));
    c.on('message', (m) => {
      if (m.type === 'usage') usage = m;
      if (m.type === 'report') report = m.report;
      if (m.type === 'failed') reject(new Error(`${m.code}: ${m.message}`));
    });
    c.on('close', () => (usage && report ? resolve({ cpuMs: usage.cpuMs, ...usage.phases, commandsCpuMs: usage.childrenCpuMs, peakRssMB: usage.maxRssKb / 1024, rules: report.summary.total, codeCache: usage.codeCache }) : reject(new Error('scan process ended without a report'))));
  });
}

/** N scans inside one process (packs loaded once); returns per-scan CPU and the RSS after each. */
export async function inProcessScans({ repo, cacheDir, pack, fixtureRoot, scans, out }) {
  const script = path.join(out, 'in-process-scan.mjs');
  await build({
    absWorkingDir: repo,
    entryPoints: [path.join(repo, 'bench/agent/in-process-scan.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: script,
    logLevel: 'silent',
    define: { __RAMPART_BUILD_ID__: JSON.stringify(`bench-${Date.now()}`) },
    banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
  });
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [script, JSON.stringify({ cacheDir, pack, fixtureRoot, scans, rulesDir: path.join(repo, 'rules') })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let outText = '';
    c.stdout.on('data', (d) => (outText += d));
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(outText)) : reject(new Error(`in-process scan exited ${code}`))));
  });
}
