/**
 * @module /proc readings for bench/agent: resident memory of a process (VmRSS, its anonymous and
 * file-backed parts, peak VmHWM), its CPU time, and how big this host is for a scan (processes,
 * open fds, TCP sockets), since that drives what the socket and process probes cost.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function memory(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, anonMB: kb('RssAnon') / 1024, fileMB: kb('RssFile') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/** user + system CPU of a process, ms (USER_HZ = 100). */
export function cpuMs(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

export function hostSize() {
  const pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  let fds = 0;
  for (const p of pids) {
    try {
      fds += readdirSync(`/proc/${p}/fd`).length;
    } catch {
      /* gone or not ours */
    }
  }
  const rows = (f) => {
    try {
      return readFileSync(f, 'utf8').trim().split('\n').length - 1;
    } catch {
      return 0;
    }
  };
  return { processes: pids.length, openFds: fds, tcpSockets: rows('/proc/net/tcp') + rows('/proc/net/tcp6') };
}

export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const range = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;

/** How to run the CLI under test: `node [flags] file args`, or a single executable on its own. */
export function commandOf(cli, args, nodeFlags = []) {
  return /\.(m?js|cjs)$/.test(cli) ? [process.execPath, [...nodeFlags, cli, ...args]] : [cli, args];
}
