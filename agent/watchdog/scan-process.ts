/**
 * @module One scan process under the watchdog: spawn our own entry with a FIXED argument list
 * (WORKER_ARGS, and no V8 flag), hand it the job over IPC, parse every
 * message it sends, sample its /proc entry every 100 ms and stop it (SIGTERM, SIGKILL after a
 * grace) once its resident memory, CPU time or wall time passes the limit. Its standard error
 * (pino lines) is passed through to ours, line by line.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { ErrorCode } from '../../shared/errors.js';
import type { PackRef, ScanReport } from '../../shared/result.js';
import { WATCHDOG_POLICY, type ScanLimits } from './limits.js';
import { WorkerMessageParser } from './message-parser.js';
import { WORKER_ARGS, type CodeCacheStatus, type Job, type PackUpdateOutcome } from './messages.js';
import { readProcUsage } from './proc-usage.js';

/** How to start a scan process: the node binary and our entry script, or a single executable alone. */
export interface WorkerCommand {
  execPath: string;
  /**
   * scan-worker-boot.cjs (or, without one, dist/rampart.js or rampart-agent.mjs); absent when
   * execPath is the single executable itself.
   */
  entry?: string;
}

/** The script a node-run scan process starts: beside the entry, built with it (agent/worker/boot-entry.ts). */
export const WORKER_BOOT = 'scan-worker-boot.cjs';

/**
 * The command of this very process (what `agent run` was started as): the single executable
 * itself, or node with the boot script beside our entry (the scan process then never parses the
 * CLI); from sources, with no build beside it, the entry itself.
 */
export function ownWorkerCommand(): WorkerCommand {
  const argv1 = process.argv[1];
  const entry = argv1 === undefined ? undefined : path.resolve(argv1);
  // A single executable sees itself as argv[1]: it is the whole command.
  if (entry === undefined || entry === process.execPath) return { execPath: process.execPath };
  let real = entry;
  try {
    real = realpathSync(entry);
  } catch {
    // Not there any more (upgraded under us): the scan process will say so.
  }
  const boot = path.join(path.dirname(real), WORKER_BOOT);
  return { execPath: process.execPath, entry: existsSync(boot) ? boot : entry };
}

export type StopCode = Extract<ErrorCode, 'ERR_WATCHDOG_MEMORY' | 'ERR_WATCHDOG_CPU' | 'ERR_WATCHDOG_TIMEOUT' | 'ERR_WATCHDOG_CRASHED'>;

export interface ProcessUsage {
  /** user + system CPU of the scan process (Node start-up included), ms. */
  cpuMs: number;
  /** CPU of the commands it ran (apt-get, nft, …), ms. */
  childrenCpuMs: number;
  /** Highest resident set seen (its own getrusage maxRSS when it finished), KiB. */
  peakRssKb: number;
  wallMs: number;
  /** Where the CPU went (when the scan process finished normally): start-up, packs, the job. */
  phases?: { startupMs: number; packsMs: number; jobMs: number };
  /** What became of the scan-worker bundle's V8 code cache (agent/worker/code-cache.ts). */
  codeCache?: CodeCacheStatus;
}

export interface ProcessResult {
  packs?: PackRef[];
  report?: ScanReport;
  installed?: { outcome: PackUpdateOutcome; packs: PackRef[] };
  /** A coded failure the scan process reported itself (broken packs, a refused job). */
  failed?: { code: string; message: string };
  /** Why the watchdog stopped it, or how it died without a result. */
  stopped?: { code: StopCode; message: string };
  /**
   * Ended from outside before it reported: the daemon cancelled it (shutting down), or someone sent it
   * SIGTERM/SIGINT/SIGHUP (systemd stopping the service signals every process of the unit). Not the
   * scan's fault: no strike, no denylist.
   */
  cancelled?: boolean;
  /** Rules of the scan that had not finished when it stopped; undefined if it never started scanning. */
  unfinished?: string[];
  ruleCount?: number;
  usage: ProcessUsage;
}

export interface ProcessOptions {
  command: WorkerCommand;
  limits: ScanLimits;
  /** Where the scan process's log lines go (default: our standard error). */
  stderr?: Writable;
  /** Called with the packs as soon as the scan process has loaded them. */
  onPacks?: (packs: PackRef[]) => void;
  /** Aborting ends the scan process (SIGTERM) and resolves with `cancelled`. */
  signal?: AbortSignal;
  /** Parses its messages; pass the same one to every scan so unchanged results are not validated again. */
  parser?: WorkerMessageParser;
}

const OOM = /JavaScript heap out of memory|Reached heap limit|Allocation failed/;

/** Run one job in a scan process and resolve when that process is gone. Never rejects. */
export function runScanProcess(job: Job, options: ProcessOptions): Promise<ProcessResult> {
  const { command, limits } = options;
  // No V8 flag (no --max-old-space-size heap cap, no young-generation size): any V8 flag on the
  // command line changes V8's flag hash, and Node then rejects the code cache of its own built-in
  // modules, compiling the ones a scan loads from source (+30 ms of every scan; docs/PERFORMANCE.md).
  // A single executable takes none anyway. The resident-memory samples are the memory limit, and
  // boot.ts sizes the young generation at run time. NODE_OPTIONS is never passed on: the daemon's
  // (an --inspect port, a --require hook) are not a scan process's.
  const args = command.entry === undefined ? [...WORKER_ARGS] : [command.entry, ...WORKER_ARGS];
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const out = options.stderr ?? process.stderr;
  const parser = options.parser ?? new WorkerMessageParser();
  const started = performance.now();
  const result: ProcessResult = { usage: { cpuMs: 0, childrenCpuMs: 0, peakRssKb: 0, wallMs: 0 } };
  let reported = false;
  let startedRules: Set<string> | undefined;
  const done = new Set<string>();
  let tail = '';

  return new Promise<ProcessResult>((resolve) => {
    const child = spawn(command.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env, serialization: 'json' });
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (code: StopCode, message: string) => {
      if (result.stopped) return;
      // Its result is in: whatever keeps it from exiting now does not make the scan fail.
      if (!reported) result.stopped = { code, message };
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), WATCHDOG_POLICY.killGraceMs);
    };

    let partial = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-8192);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (lines.length > 0) out.write(lines.join('\n') + '\n');
    });
    child.stderr!.on('end', () => {
      if (partial) out.write(partial + '\n');
    });

    const cancel = () => {
      if (reported || result.stopped || result.cancelled) return;
      result.cancelled = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), WATCHDOG_POLICY.killGraceMs);
    };
    if (options.signal?.aborted) queueMicrotask(cancel);
    else options.signal?.addEventListener('abort', cancel, { once: true });

    child.on('spawn', () => child.send(job));
    child.on('error', (err) => {
      if (!result.stopped) result.stopped = { code: 'ERR_WATCHDOG_CRASHED', message: `cannot start the scan process ${command.execPath}: ${err.message}` };
    });
    child.on('message', (raw: unknown) => {
      const parsed = parser.parse(raw);
      if (!parsed.success) {
        stop('ERR_WATCHDOG_CRASHED', `the scan process sent a message outside the schema: ${parsed.message}`);
        return;
      }
      const m = parsed.data;
      switch (m.type) {
        case 'packs':
          result.packs = m.packs;
          options.onPacks?.(m.packs);
          break;
        case 'rules':
          startedRules = new Set(m.ids);
          break;
        case 'done':
          for (const id of m.ids) done.add(id);
          break;
        case 'report':
          result.report = m.report;
          reported = true;
          break;
        case 'installed':
          result.installed = { outcome: m.outcome, packs: m.packs };
          reported = true;
          break;
        case 'failed':
          result.failed = { code: m.code, message: m.message };
          reported = true;
          break;
        case 'usage':
          result.usage.cpuMs = m.cpuMs;
          result.usage.childrenCpuMs = m.childrenCpuMs;
          result.usage.peakRssKb = Math.max(result.usage.peakRssKb, m.maxRssKb);
          if (m.phases) result.usage.phases = m.phases;
          if (m.codeCache) result.usage.codeCache = m.codeCache;
          break;
      }
    });

    const memoryKb = limits.memoryMb * 1024;
    const cpuMs = limits.cpuSeconds * 1000;
    const sampler = setInterval(() => {
      if (child.pid === undefined || result.stopped || result.cancelled || reported) return;
      const u = readProcUsage(child.pid);
      // Only our own child: a pid that was reused by another process is none of our business.
      if (!u || u.ppid !== process.pid) return;
      result.usage.peakRssKb = Math.max(result.usage.peakRssKb, u.rssKb);
      result.usage.cpuMs = Math.max(result.usage.cpuMs, u.cpuMs);
      if (u.rssKb > memoryKb) stop('ERR_WATCHDOG_MEMORY', `scan process resident memory ${(u.rssKb / 1024).toFixed(0)} MB passed the limit of ${limits.memoryMb} MB`);
      else if (u.cpuMs > cpuMs) stop('ERR_WATCHDOG_CPU', `scan process used ${(u.cpuMs / 1000).toFixed(1)} s of CPU, over the limit of ${limits.cpuSeconds} s`);
    }, WATCHDOG_POLICY.sampleMs);
    const wall = setTimeout(() => result.cancelled || stop('ERR_WATCHDOG_TIMEOUT', `scan process still running after ${limits.timeoutSeconds} s (limit)`), limits.timeoutSeconds * 1000);

    child.on('close', (exitCode, signal) => {
      clearInterval(sampler);
      clearTimeout(wall);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', cancel);
      result.usage.wallMs = Math.round(performance.now() - started);
      if (!reported && !result.stopped && (signal === 'SIGTERM' || signal === 'SIGINT' || signal === 'SIGHUP')) result.cancelled = true;
      if (!reported && !result.stopped && !result.cancelled) {
        const how = signal ? `signal ${signal}` : `exit code ${exitCode}`;
        const last = tail.trim().split('\n').filter(Boolean).at(-1) ?? '';
        result.stopped = OOM.test(tail)
          ? { code: 'ERR_WATCHDOG_MEMORY', message: `scan process ran out of JavaScript heap (${how}); the memory limit is ${limits.memoryMb} MB` }
          : { code: 'ERR_WATCHDOG_CRASHED', message: `scan process ended with ${how} and no result${last ? `: ${last.slice(0, 300)}` : ''}` };
      }
      if (result.stopped && startedRules) {
        result.ruleCount = startedRules.size;
        result.unfinished = [...startedRules].filter((id) => !done.has(id)).sort();
      }
      resolve(result);
    });
  });
}
