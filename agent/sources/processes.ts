/**
 * @module The process table, read once per scan from /proc (pid, name, command line, owner,
 * executable). Runtime-only: an offline root without /proc has no processes.
 */
import type { ScanContext } from '../engine/context.js';

export interface ProcessInfo {
  pid: number;
  ppid?: number;
  /** Kernel short name (/proc/PID/comm), at most 15 characters. */
  comm: string;
  /** argv as the process sees it (/proc/PID/cmdline split on NUL). */
  cmdline: string[];
  /** Real uid from /proc/PID/status. */
  uid?: number;
  /** Target of /proc/PID/exe when readable (root only). */
  exe?: string;
}

/** Undefined when this host has no /proc (an offline root). */
export function readProcesses(ctx: ScanContext): Promise<ProcessInfo[] | undefined> {
  return ctx.memo('source:processes', async () => {
    const names = await ctx.host.readDir('/proc');
    if (names === undefined) return undefined;
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
    const list = await Promise.all(pids.map((pid) => readOne(ctx, pid)));
    return list.filter((p): p is ProcessInfo => p !== undefined).sort((a, b) => a.pid - b.pid);
  });
}

async function readOne(ctx: ScanContext, pid: number): Promise<ProcessInfo | undefined> {
  const base = `/proc/${pid}`;
  // Processes exit while we read them; a vanished or unreadable entry is skipped, not an error.
  const [comm, cmdline, status, exe] = await Promise.all([
    ctx.host.readFile(`${base}/comm`).catch(() => undefined),
    ctx.host.readFile(`${base}/cmdline`).catch(() => undefined),
    ctx.host.readFile(`${base}/status`).catch(() => undefined),
    ctx.host.readLink(`${base}/exe`).catch(() => undefined),
  ]);
  if (comm === undefined) return undefined;
  const info: ProcessInfo = {
    pid,
    comm: comm.trim(),
    cmdline: (cmdline ?? '').split('\0').filter((s, i, a) => s !== '' || i < a.length - 1).filter((s) => s !== ''),
  };
  const uid = status ? /^Uid:\s+(\d+)/m.exec(status)?.[1] : undefined;
  const ppid = status ? /^PPid:\s+(\d+)/m.exec(status)?.[1] : undefined;
  if (uid !== undefined) info.uid = Number(uid);
  if (ppid !== undefined) info.ppid = Number(ppid);
  if (exe !== undefined) info.exe = exe.replace(/ \(deleted\)$/, '');
  return info;
}

/** A process's environment (KEY=value pairs), when readable (root only). Read once per pid per scan. */
export function readProcessEnviron(ctx: ScanContext, pid: number): Promise<Record<string, string> | undefined> {
  return ctx.memo(`source:environ:${pid}`, async () => {
    const text = await ctx.host.readFile(`/proc/${pid}/environ`).catch(() => undefined);
    if (text === undefined) return undefined;
    const env: Record<string, string> = {};
    for (const pair of text.split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return env;
  });
}
