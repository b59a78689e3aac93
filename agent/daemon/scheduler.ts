/**
 * @module When the agent scans: once at start, then on a cron schedule (default hourly; parsed and
 * run by croner, cron-expression.ts) with a random delay of up to `jitterSeconds` before each run, so
 * a fleet on the same schedule does not scan and send at the same second. Scans never overlap: a
 * trigger that arrives while a scan runs (schedule, resync) makes one more scan run right after it;
 * a scheduled time that comes while the previous scheduled run still waits out its delay or scans is
 * skipped (logged). stop() cancels a delay being waited out and leaves no timer behind.
 */
import type { Cron } from 'croner';
import type { Logger } from '../../shared/log.js';
import { cronJob } from './cron-expression.js';

/** Why a scan runs; `watchdog`: again after the watchdog stopped the previous one. */
export type ScanReason = 'start' | 'schedule' | 'resync' | 'pack' | 'watchdog';

export class ScanScheduler {
  private job: Cron | undefined;
  /** Cancels the delay a scheduled scan is waiting out, if one is. */
  private cancelDelay: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private pending: ScanReason | undefined;

  constructor(
    private readonly scan: (reason: ScanReason) => Promise<void>,
    private readonly log: Logger,
    /** Draws the delay before each scheduled scan (tests pin it). */
    private readonly random: () => number = Math.random,
  ) {}

  /** Start the cron schedule (the first scan is triggered separately with trigger('start')). */
  start(expression: string, jitterSeconds: number): void {
    const skipped = () => this.log.warn({ schedule: expression }, 'Scheduled scan skipped: the previous scheduled scan is still waiting for its delay or running');
    this.job = cronJob(expression, { protect: skipped }, () => this.scheduled(jitterSeconds));
    this.log.info({ schedule: expression, jitterSeconds, nextRun: this.job.nextRun()?.toISOString() }, 'Scan schedule started');
  }

  /** One scheduled run: wait a random delay below `jitterSeconds` (unless stopped meanwhile), then scan. */
  private async scheduled(jitterSeconds: number): Promise<void> {
    const delayMs = Math.floor(this.random() * jitterSeconds * 1000);
    if (delayMs > 0 && !(await this.wait(delayMs))) return;
    await this.trigger('schedule');
  }

  /** Resolves true after `ms`, or false as soon as stop() cancels the wait. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cancelDelay = undefined;
        resolve(true);
      }, ms);
      this.cancelDelay = () => {
        clearTimeout(timer);
        this.cancelDelay = undefined;
        resolve(false);
      };
    });
  }

  /** Run a scan now, or right after the current one. Resolves when that scan has finished. */
  trigger(reason: ScanReason): Promise<void> {
    if (this.running) {
      this.pending = reason;
      return this.running.then(() => this.running ?? Promise.resolve());
    }
    this.running = (async () => {
      try {
        await this.scan(reason);
      } catch (err) {
        this.log.error({ reason, err: (err as Error).message }, 'Scan failed');
      }
      this.running = undefined;
      const again = this.pending;
      this.pending = undefined;
      if (again) void this.trigger(again);
    })();
    return this.running;
  }

  /** Resolves when no scan is running or pending. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stop the schedule and cancel a scheduled scan still waiting out its delay, then wait for a running scan. */
  async stop(): Promise<void> {
    this.job?.stop();
    this.job = undefined;
    this.cancelDelay?.();
    this.pending = undefined;
    await this.running;
  }
}
