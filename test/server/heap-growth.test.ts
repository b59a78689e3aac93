import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../server/config.js';
import { applyHeapGrowth } from '../../server/heap-growth.js';

const run = promisify(execFile);

/**
 * A process holding ~60 MB of live data while it churns mid-lived garbage (batches kept for 30
 * rounds, so they outlive the young generation, like parsed frames held across a commit): its
 * peak heap, after setting V8 flags at run time the way `rampart server start` does.
 */
const WORKLOAD = `
const v8 = require('node:v8');
if (process.argv[1]) v8.setFlagsFromString(process.argv[1]);
globalThis.live = [];
for (let i = 0; i < 230000; i++) globalThis.live.push({ i, s: 'x'.repeat(24) + i, a: [i, i] });
gc();
const base = v8.getHeapStatistics().used_heap_size;
const held = [];
let peak = 0;
for (let round = 0; round < 600; round++) {
  const batch = [];
  for (let i = 0; i < 2000; i++) batch.push({ a: 'y'.repeat(40) + i, b: [i] });
  held.push(batch);
  if (held.length > 30) held.shift();
  if (round % 5 === 0) peak = Math.max(peak, v8.getHeapStatistics().used_heap_size);
}
process.stdout.write(JSON.stringify({ base, peak }));
`;

async function peakHeap(flags: string): Promise<{ base: number; peak: number }> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '-e', WORKLOAD, flags], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as { base: number; peak: number };
}

describe('collector heap growth', () => {
  it('is a setting (default 50%, RAMPART_HEAP_GROWTH_PERCENT; 0 keeps V8 defaults)', () => {
    expect(loadServerConfig({}, {}).heapGrowthPercent).toBe(50);
    expect(loadServerConfig({}, { RAMPART_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(() => loadServerConfig({}, { RAMPART_HEAP_GROWTH_PERCENT: '-1' })).toThrow(/RAMPART_HEAP_GROWTH_PERCENT/);
  });

  it('sets V8\'s heap growing factor, or leaves it alone at 0', () => {
    const set: string[] = [];
    applyHeapGrowth(100, (f) => set.push(f));
    applyHeapGrowth(0, (f) => set.push(f));
    expect(set).toEqual(['--heap-growing-percent=100']);
  });

  it('keeps the heap much closer to the live data than V8\'s default when set at run time (this Node honours the flag)', { timeout: 60_000 }, async () => {
    const [byDefault, bounded] = await Promise.all([peakHeap(''), peakHeap('--heap-growing-percent=50')]);
    // Same live data in both...
    expect(Math.abs(bounded.base - byDefault.base)).toBeLessThan(byDefault.base * 0.1);
    // ...but V8's default lets garbage pile up to several times it (measured: 4.6x vs 2.8x).
    expect(bounded.peak).toBeLessThan(byDefault.peak * 0.8);
  });
});
