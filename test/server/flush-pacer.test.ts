import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushPacer } from '../../server/live/flush-pacer.js';

describe('FlushPacer', () => {
  let clock = 0;
  let flushes: number[];
  let pacer: FlushPacer;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    clock = 1_000;
    flushes = [];
    pacer = new FlushPacer(50, () => flushes.push(clock), () => clock);
  });
  afterEach(() => {
    pacer.cancel();
    vi.useRealTimers();
  });
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  it('flushes a lone event on the next turn of the event loop, not after the interval', () => {
    pacer.request();
    expect(flushes).toEqual([]);
    vi.runOnlyPendingTimers();
    expect(flushes).toEqual([1_000]);
  });

  it('gathers events of the same turn into one flush', () => {
    pacer.request();
    pacer.request();
    pacer.request();
    vi.runOnlyPendingTimers();
    expect(flushes).toHaveLength(1);
  });

  it('holds a burst until the interval since the previous flush has passed: at most one flush per interval', () => {
    pacer.request();
    vi.runOnlyPendingTimers();
    advance(10);
    pacer.request();
    pacer.request();
    advance(39);
    expect(flushes).toEqual([1_000]);
    advance(1);
    expect(flushes).toEqual([1_000, 1_050]);
    // After a quiet spell longer than the interval the next lone event goes out at once again.
    advance(200);
    pacer.request();
    vi.runOnlyPendingTimers();
    expect(flushes).toEqual([1_000, 1_050, 1_250]);
  });

  it('cancels a scheduled flush', () => {
    pacer.request();
    expect(pacer.pending).toBe(true);
    pacer.cancel();
    vi.runAllTimers();
    expect(flushes).toEqual([]);
    expect(pacer.pending).toBe(false);
  });
});
