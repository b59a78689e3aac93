import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../shared/log.js';
import { ScanScheduler, type ScanReason } from '../../../agent/daemon/scheduler.js';

function fakeLog() {
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  return { log, logger: log as unknown as Logger };
}

/** A scan that records when it started and finishes when the test says so (or at once). */
function recorder(hold = false) {
  const runs: { reason: ScanReason; at: number }[] = [];
  const releases: (() => void)[] = [];
  const scan = (reason: ScanReason) => {
    runs.push({ reason, at: Date.now() });
    return hold ? new Promise<void>((r) => releases.push(r)) : Promise.resolve();
  };
  return { runs, scan, release: () => releases.shift()?.() };
}

describe('ScanScheduler on a schedule (fake clock)', () => {
  // Local time: the schedule is read in the host's timezone.
  const start = new Date(2026, 0, 5, 10, 59, 58).getTime();
  let scheduler: ScanScheduler | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(start);
  });
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('scans at each scheduled time and logs the next run without touching Intl', async () => {
    const intl = vi.spyOn(Intl, 'DateTimeFormat');
    const { runs, scan } = recorder();
    const { log, logger } = fakeLog();
    scheduler = new ScanScheduler(scan, logger);
    scheduler.start('0 * * * *', 0);
    expect(log.info).toHaveBeenCalledWith(
      { schedule: '0 * * * *', jitterSeconds: 0, nextRun: new Date(2026, 0, 5, 11, 0, 0).toISOString() },
      'Scan schedule started',
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([{ reason: 'schedule', at: new Date(2026, 0, 5, 11, 0, 0).getTime() }]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(runs.map((r) => r.at)).toEqual([new Date(2026, 0, 5, 11).getTime(), new Date(2026, 0, 5, 12).getTime()]);
    expect(intl).not.toHaveBeenCalled();
  });

  it('takes 6 fields with seconds first (the bench runs every 15 s)', async () => {
    const { runs, scan } = recorder();
    scheduler = new ScanScheduler(scan, fakeLog().logger);
    scheduler.start('*/15 * * * * *', 0);
    await vi.advanceTimersByTimeAsync(47_000);
    expect(runs.map((r) => new Date(r.at).getSeconds())).toEqual([0, 15, 30, 45]);
  });

  it('waits a random delay below jitterSeconds before each scheduled scan', async () => {
    const draws = [0.5, 0.999_999];
    const { runs, scan } = recorder();
    scheduler = new ScanScheduler(scan, fakeLog().logger, () => draws.shift() ?? 0);
    scheduler.start('0 * * * *', 600);
    const slot = new Date(2026, 0, 5, 11).getTime();
    await vi.advanceTimersByTimeAsync(2_000 + 299_999);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([{ reason: 'schedule', at: slot + 300_000 }]);
    // The largest draw still lands inside the jitter window, never on the next slot.
    await vi.advanceTimersByTimeAsync(3_600_000 + 300_000);
    expect(runs[1]!.at - (slot + 3_600_000)).toBe(599_999);
  });

  it('never overlaps: a slot during a scheduled scan is skipped, a resync waits for the scan', async () => {
    const { runs, scan, release } = recorder(true);
    const { log, logger } = fakeLog();
    scheduler = new ScanScheduler(scan, logger);
    scheduler.start('* * * * * *', 0);
    await vi.advanceTimersByTimeAsync(2_000); // slots at :59 and :00
    expect(runs.map((r) => r.reason)).toEqual(['schedule']);
    const resync = scheduler.trigger('resync');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs.map((r) => r.reason)).toEqual(['schedule']);
    expect(log.warn).toHaveBeenCalledWith({ schedule: '* * * * * *' }, expect.stringContaining('Scheduled scan skipped'));
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.reason)).toEqual(['schedule', 'resync']);
    release();
    await resync;
  });

  it('stop() cancels a scheduled scan still waiting out its delay and leaves no timer', async () => {
    const { runs, scan } = recorder();
    scheduler = new ScanScheduler(scan, fakeLog().logger, () => 0.5);
    scheduler.start('0 * * * *', 600);
    await vi.advanceTimersByTimeAsync(2_000 + 60_000); // the 11:00 slot fired; 240 s of delay left
    expect(vi.getTimerCount()).toBe(2); // croner's next wake-up and the delay
    await scheduler.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * 3_600_000);
    expect(runs).toEqual([]);
  });

  it('stop() waits for a running scan and drops a pending one', async () => {
    const { runs, scan, release } = recorder(true);
    scheduler = new ScanScheduler(scan, fakeLog().logger);
    void scheduler.trigger('start');
    void scheduler.trigger('resync');
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(runs.map((r) => r.reason)).toEqual(['start']);
  });
});

describe('ScanScheduler (real timers)', () => {
  it('fires every second and lets the process exit after stop()', async () => {
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const { runs, scan } = recorder();
    const scheduler = new ScanScheduler(scan, fakeLog().logger);
    scheduler.start('* * * * * *', 0);
    await new Promise((r) => setTimeout(r, 2_200));
    await scheduler.stop();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.reason === 'schedule' && r.at % 1000 < 200)).toBe(true);
    expect(timeouts()).toBeLessThanOrEqual(before);
  });
});
