/**
 * @module How far the collector's V8 heap may grow between full garbage collections, set once when
 * `rampart server start` begins (process-wide, so not in startCollector, which tests run many
 * times in one process). On a machine with gigabytes of memory V8 lets the old generation grow to
 * up to 4× the live data before a full collection. A collector's garbage is mostly mid-lived —
 * parsed frames and statement parameters held across a PostgreSQL commit outlive the young
 * generation — so its heap followed that factor: at 10,000 agents on PostgreSQL ~80-100 MB of
 * live data became ~240-280 MB of heap and ~420-490 MB RSS, while on SQLite, which commits
 * synchronously, most of it died young. With 50% the same run peaked at ~250 MB RSS, with no more
 * GC time (docs/PERFORMANCE.md, fleet section). The factor is read by V8 at every full
 * collection, so setting it at run time works (test/server/heap-growth.test.ts checks this Node
 * honours it); 0 leaves V8's own heuristics.
 */
import v8 from 'node:v8';

/** Set V8's heap growing factor to 1 + percent/100 (0: leave V8's default). */
export function applyHeapGrowth(percent: number, setFlags: (flags: string) => void = v8.setFlagsFromString): void {
  if (percent > 0) setFlags(`--heap-growing-percent=${Math.round(percent)}`);
}
