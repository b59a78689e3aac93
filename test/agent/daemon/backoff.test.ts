import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../agent/daemon/backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling from the base up to the cap', () => {
    const b = new Backoff({ baseMs: 1000, capMs: 300_000 });
    expect([0, 1, 2, 3, 8, 9, 50, 5000].map((a) => b.ceiling(a))).toEqual([1000, 2000, 4000, 8000, 256_000, 300_000, 300_000, 300_000]);
  });

  it('draws each delay uniformly between zero and the ceiling (full jitter)', () => {
    const draws = [0, 0.5, 0.999];
    let i = 0;
    const b = new Backoff({ baseMs: 1000, capMs: 300_000, random: () => draws[i++ % draws.length]! });
    expect(b.next()).toBe(0);
    expect(b.next()).toBe(1000);
    expect(b.next()).toBe(3996);
    expect(b.attempts).toBe(3);
  });

  it('starts again from the base after a reset', () => {
    const b = new Backoff({ baseMs: 10, capMs: 1000, random: () => 0.99 });
    for (let k = 0; k < 20; k++) b.next();
    expect(b.next()).toBe(990);
    b.reset();
    expect(b.next()).toBe(9);
  });

  it('spreads a fleet: 1,000 agents at the same attempt do not pick the same delay', () => {
    const delays = Array.from({ length: 1000 }, () => new Backoff({ baseMs: 1000, capMs: 300_000 })).map((b) => {
      for (let k = 0; k < 5; k++) b.next();
      return b.next();
    });
    const ceiling = 32_000;
    expect(Math.max(...delays)).toBeLessThan(ceiling);
    expect(new Set(delays).size).toBeGreaterThan(900);
    // Roughly uniform: each quarter of the window holds a fair share.
    for (let q = 0; q < 4; q++) {
      const n = delays.filter((d) => d >= (q * ceiling) / 4 && d < ((q + 1) * ceiling) / 4).length;
      expect(n).toBeGreaterThan(150);
    }
  });
});
