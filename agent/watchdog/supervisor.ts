/**
 * @module The daemon's side of the watchdog: every scan and every pack install runs as a job in
 * its own scan process (scan-process.ts), one at a time. After a stop it remembers the strike,
 * sets aside the rules that were still running (when they are few enough to blame), and says
 * when to try again (5 s, doubling, at most 600 s, at most 3 times in a row) and what to tell
 * the collector.
 */
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from '../../shared/log.js';
import type { PackRef, RuleResult, ScanReport } from '../../shared/result.js';
import { VERSION } from '../../shared/version.js';
import { WATCHDOG_POLICY, type ScanLimits } from './limits.js';
import type { Job, PackUpdateOutcome, WorkerSettings } from './messages.js';
import { scanStoppedResult } from './results.js';
import { WorkerMessageParser } from './message-parser.js';
import { runScanProcess, type ProcessUsage, type StopCode, type WorkerCommand } from './scan-process.js';
import { Strikes } from './strikes.js';

export interface SupervisorOptions {
  agentId: string;
  settings: WorkerSettings;
  limits: ScanLimits;
  command: WorkerCommand;
  log: Logger;
  /** Where scan processes' log lines go (default: our standard error). */
  stderr?: Writable;
}

export interface ScanAttempt {
  report?: ScanReport;
  /** Ended from outside (shutdown, a signal): nothing to record, nothing to retry. */
  cancelled?: boolean;
  /** A coded failure of the scan process itself (broken packs, another version on disk). */
  failure?: { code: string; message: string };
  stopped?: { code: StopCode; message: string; blamed: string[] };
  /** The result to queue for the collector when a stop could not be blamed on any rule. */
  event?: RuleResult;
  /** When to try again after a stop (undefined: wait for the schedule). */
  retryInMs?: number;
  usage: ProcessUsage;
}

export interface InstallAttempt {
  outcome: PackUpdateOutcome;
  /** The packs the next scan runs with, when the install job got that far. */
  packs?: PackRef[];
  failure?: { code: string; message: string };
}

export class ScanSupervisor {
  private chain: Promise<unknown> = Promise.resolve();
  private strikes: Strikes | undefined;
  /** Aborted by cancel(): ends the running scan process and every later job before it starts. */
  private readonly closing = new AbortController();
  /** Remembers the last report's validated results, so an unchanged result is not validated again. */
  private readonly parser = new WorkerMessageParser();

  constructor(private readonly o: SupervisorOptions) {}

  private async strikesFile(): Promise<Strikes> {
    if (this.strikes) return this.strikes;
    const file = path.join(this.o.settings.stateDir, 'watchdog.json');
    try {
      this.strikes = await Strikes.open(file);
    } catch (err) {
      // Bookkeeping only: an unreadable file must not stop the agent from scanning. It is rewritten at the next stop.
      this.o.log.error({ code: (err as { code?: string }).code, file, message: (err as Error).message }, 'Watchdog state unreadable; starting with no strikes and no denylist');
      this.strikes = Strikes.empty(file);
    }
    return this.strikes;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no job (scan or pack install) is running or queued. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  /** Shutting down: end the running scan process (SIGTERM) and start no other. */
  cancel(): void {
    this.closing.abort();
  }

  private job(kind: Job['kind'], denylist: Job['denylist'], bundle?: unknown): Job {
    const job: Job = { type: 'job', version: VERSION, kind, agentId: this.o.agentId, settings: this.o.settings, denylist };
    if (bundle !== undefined) job.bundle = bundle;
    return job;
  }

  /** Scan in a scan process; `onPacks` hears the packs as soon as they are loaded. Never rejects. */
  scan(onPacks?: (packs: PackRef[]) => void): Promise<ScanAttempt> {
    return this.serial(async () => {
      const strikes = await this.strikesFile();
      const denylist = strikes.denylist();
      const r = await runScanProcess(this.job('scan', denylist), { command: this.o.command, limits: this.o.limits, signal: this.closing.signal, parser: this.parser, ...(this.o.stderr ? { stderr: this.o.stderr } : {}), ...(onPacks ? { onPacks } : {}) });
      const usage = r.usage;
      if (r.cancelled) {
        this.o.log.warn({ wallMs: usage.wallMs }, 'Scan process ended from outside (shutting down?); not counted against the scan');
        return { cancelled: true, usage };
      }
      if (r.report) {
        await strikes.noteFinished();
        return { report: r.report, usage };
      }
      if (r.failed) return { failure: r.failed, usage };
      const stop = r.stopped ?? { code: 'ERR_WATCHDOG_CRASHED' as const, message: 'scan process ended without a result' };
      // Blame what was still running, unless that is most of the scan (it never got going).
      const unfinished = r.unfinished ?? [];
      const blamed = r.ruleCount && unfinished.length > 0 && unfinished.length <= Math.max(1, Math.floor(r.ruleCount * WATCHDOG_POLICY.maxBlameShare)) ? unfinished : [];
      await strikes.noteStop(stop, blamed);
      const n = strikes.stopsInARow;
      const attempt: ScanAttempt = { stopped: { ...stop, blamed }, usage };
      if (n <= WATCHDOG_POLICY.maxRetries) attempt.retryInMs = Math.min(WATCHDOG_POLICY.retryCapSeconds, WATCHDOG_POLICY.retryBaseSeconds * 2 ** (n - 1)) * 1000;
      if (blamed.length === 0) attempt.event = scanStoppedResult(stop, this.o.limits);
      this.o.log.error(
        { code: stop.code, message: stop.message, blamed, unfinished: unfinished.length, rules: r.ruleCount ?? null, stopsInARow: n, retryInMs: attempt.retryInMs ?? null, cpuMs: usage.cpuMs, peakRssMb: Math.round(usage.peakRssKb / 1024), wallMs: usage.wallMs },
        blamed.length > 0 ? 'Scan stopped by the watchdog; the rules it was running are set aside for 24 h' : 'Scan stopped by the watchdog',
      );
      return attempt;
    });
  }

  /** Verify and install one pack bundle from the collector in a scan process. Never rejects. */
  install(bundle: unknown): Promise<InstallAttempt> {
    return this.serial(async () => {
      const r = await runScanProcess(this.job('install', [], bundle), { command: this.o.command, limits: this.o.limits, signal: this.closing.signal, ...(this.o.stderr ? { stderr: this.o.stderr } : {}) });
      if (r.installed) return { outcome: r.installed.outcome, packs: r.installed.packs };
      if (r.cancelled) {
        this.o.log.warn({ wallMs: r.usage.wallMs }, 'Rule pack install cancelled (the scan process was ended from outside); the collector sends it again after the next welcome');
        return { outcome: { status: 'refused', code: 'ERR_WATCHDOG_CRASHED', message: 'cancelled: the scan process was ended from outside' } };
      }
      const failure = r.failed ?? r.stopped ?? { code: 'ERR_WATCHDOG_CRASHED', message: 'scan process ended without a result' };
      const header = (bundle ?? {}) as { packId?: unknown; version?: unknown };
      this.o.log.error({ code: failure.code, packId: header.packId, version: header.version, message: failure.message }, 'Rule pack from the collector refused');
      return { outcome: { status: 'refused', code: failure.code, message: failure.message }, ...(r.packs ? { packs: r.packs } : {}), failure };
    });
  }
}
