/**
 * @module When the agent scans: once at start, then on a node-cron schedule (default hourly)
 * with a random delay of up to `jitterSeconds` before each run, so a fleet on the same
 * schedule does not scan and send at the same second. Scans never overlap: a trigger that
 * arrives while a scan runs (schedule, resync) makes one more scan run right after it.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../../shared/log.js';

/** Why a scan runs; `watchdog`: again after the watchdog stopped the previous one. */
export type ScanReason = 'start' | 'schedule' | 'resync' | 'pack' | 'watchdog';

export class ScanScheduler {
  private task: ScheduledTask | undefined;
  private running: Promise<void> | undefined;
  private pending: ScanReason | undefined;

  constructor(
    private readonly scan: (reason: ScanReason) => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** Start the cron schedule (the first scan is triggered separately with trigger('start')). */
  start(expression: string, jitterSeconds: number): void {
    this.task = cron.schedule(expression, () => this.trigger('schedule'), {
      name: 'rampart-agent-scan',
      maxRandomDelay: jitterSeconds * 1000,
      noOverlap: true,
    });
    const next = this.task.getNextRun();
    this.log.info({ schedule: expression, jitterSeconds, nextRun: next?.toISOString() }, 'Scan schedule started');
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

  /** Wait for a running scan, then stop the schedule. */
  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = undefined;
    this.pending = undefined;
    await this.running;
  }
}
