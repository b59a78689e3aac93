/**
 * @module A long-running `agent run` measured from outside: its own resident memory once the first
 * scan is delivered and settled, after N idle seconds and at its peak (VmHWM); its own CPU per scan
 * (the /proc delta across each scan: receiving, validating and queueing the report); and, from its
 * `Scan finished` log lines, what each scan process cost (CPU by phase, the commands it ran, peak RSS).
 */
import { spawn } from 'node:child_process';
import { commandOf, cpuMs, memory } from './proc.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {{ cli: string, nodeFlags?: string[], env: Record<string,string>, scans: number, idleSeconds: number, settleSeconds?: number }} o
 */
export async function measureDaemon(o) {
  const [file, args] = commandOf(o.cli, ['agent', 'run'], o.nodeFlags);
  const child = spawn(file, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, RAMPART_LOG_LEVEL: 'info', RAMPART_JITTER_SECONDS: '0', ...o.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = [];
  let partial = '';
  child.stderr.on('data', (d) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop();
    for (const l of parts) {
      try {
        lines.push(JSON.parse(l));
      } catch {
        /* not a log line */
      }
    }
  });
  const exited = new Promise((r) => child.once('exit', r));
  const count = (msg) => lines.filter((l) => l.msg === msg).length;
  const until = async (what, ok, ms = 120_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`agent run: no ${what} (${lines.slice(-3).map((l) => l.msg).join(' | ')})`);
      await sleep(50);
    }
  };
  try {
    await until('first delivery', () => count('Scan queued') >= 1 && count('Connected') >= 1);
    const settle = (o.settleSeconds ?? 5) * 1000;
    await sleep(settle);
    const settled = memory(child.pid);
    // CPU of the daemon itself per scan: from just before a scan to when its result settled.
    const daemonCpu = [];
    for (let i = 1; i < o.scans; i++) {
      const before = cpuMs(child.pid);
      const n = count('Scan finished') + count('Scan stopped by the watchdog');
      await until(`scan ${i + 1}`, () => count('Scan finished') + count('Scan stopped by the watchdog') > n && count('Scan queued') > i);
      await sleep(1000);
      daemonCpu.push(cpuMs(child.pid) - before);
    }
    await sleep(o.idleSeconds * 1000);
    const idle = memory(child.pid);
    const scans = lines.filter((l) => l.msg === 'Scan finished').map((l) => ({ cpuMs: l.cpuMs, startupCpuMs: l.startupCpuMs, packsCpuMs: l.packsCpuMs, scanCpuMs: l.scanCpuMs, commandsCpuMs: l.commandsCpuMs, peakRssMb: l.peakRssMb, wallMs: l.wallMs, rules: l.total }));
    return { settled, idle, daemonCpuPerScanMs: daemonCpu, scans };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
