/**
 * @module The overview's trend: once a minute (and at start) today's posture of every agency is
 * upserted into posture_daily from the maintained counters — one grouped read of agencies ×
 * rules, independent of the number of hosts. Past days keep their last snapshot.
 */
import type { Logger } from '../../shared/log.js';
import type { Store } from '../store/store.js';

export const SNAPSHOT_MS = 60_000;

export class PostureSnapshots {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.take();
    this.timer = setInterval(() => void this.take(), SNAPSHOT_MS);
    this.timer.unref();
  }

  async take(now = new Date()): Promise<void> {
    try {
      await this.store.snapshotDailyPosture(now.toISOString().slice(0, 10));
    } catch (err) {
      this.log.warn({ err }, 'could not record the daily posture snapshot');
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
