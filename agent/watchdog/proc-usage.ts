/**
 * @module What a process costs right now, from Linux /proc: CPU time (user + system, the
 * `processes` table columns osquery's watcher reads) and resident memory. The watchdog samples a
 * scan process with it; it works even when that process is stuck in a loop and cannot answer.
 */
import { promises as fs, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux architecture Node supports. */
const USER_HZ = 100;

export interface ProcUsage {
  /** user + system CPU time, ms (resolution 10 ms). */
  cpuMs: number;
  /** Resident set size, KiB. */
  rssKb: number;
  /** Parent pid (the watchdog acts only on its own children). */
  ppid: number;
}

/** Parse /proc/<pid>/stat (fields after the parenthesised command name, which may hold spaces). */
export function parseProcStat(text: string): { ppid: number; cpuMs: number; childrenCpuMs: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // Field 3 (state) is the first after ")"; ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  const f = text.slice(close + 2).split(' ');
  const n = (i: number) => Number(f[i - 3]);
  if (![4, 14, 15, 16, 17].every((i) => Number.isFinite(n(i)))) return undefined;
  return { ppid: n(4), cpuMs: ((n(14) + n(15)) * 1000) / USER_HZ, childrenCpuMs: ((n(16) + n(17)) * 1000) / USER_HZ };
}

/** VmRSS from /proc/<pid>/status, KiB (0 once the process is a zombie). */
export function parseVmRss(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) : text.includes('State:') ? 0 : undefined;
}

/**
 * Sample a process; undefined when it is gone or /proc is not there (not Linux). Synchronous: a
 * /proc file is made by the kernel on read and never waits for a disk, and two plain reads cost the
 * interpreter-only daemon a fraction of what the promise API does, ten times a second.
 */
export function readProcUsage(pid: number): ProcUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const s = parseProcStat(stat);
    const rssKb = parseVmRss(status);
    if (!s || rssKb === undefined) return undefined;
    return { cpuMs: s.cpuMs, rssKb, ppid: s.ppid };
  } catch {
    return undefined;
  }
}

/** CPU time of the processes this process has waited for (commands a probe ran), ms; 0 off Linux. */
export async function childrenCpuMs(): Promise<number> {
  try {
    return parseProcStat(await fs.readFile('/proc/self/stat', 'utf8'))?.childrenCpuMs ?? 0;
  } catch {
    return 0;
  }
}
