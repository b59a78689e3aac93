/**
 * @module bench/fleet diagnostics: preloaded into a collector by `bench/fleet/run.mjs --diag`
 * (NODE_OPTIONS=--import this file, RAMPART_BENCH_DIAG=<output file>). Every 250 ms appends one
 * JSON line: process.memoryUsage() (RSS, V8 heap used/total, external, arrayBuffers, MB), the
 * event-loop delay over that interval (perf_hooks.monitorEventLoopDelay: p50/p99/max, ms), the
 * garbage collections in it (count, total and longest pause, ms, full collections), the heap used
 * just after the last full collection (about the live data) and the V8 spaces (used, committed MB). Read-only: it changes nothing
 * in the collector except the few microseconds it costs four times a second.
 *
 * With RAMPART_BENCH_HEAPPROF=<file prefix> it also runs V8's sampling heap profiler, counting
 * objects that survive young-generation collections (live data, and garbage that only a full
 * collection frees: what makes the old generation grow) but not those a young collection frees;
 * with RAMPART_BENCH_CPUPROF=<file prefix>, the CPU profiler. Each SIGUSR2 writes what was
 * gathered since the last one to <prefix>.<n>.tmp (JSON: top allocation sites by KB; functions by
 * self and total ms) and starts over. Costlier than the rest: for finding where memory and time
 * go, not for recorded runs.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';

// V8 flags under test that NODE_OPTIONS refuses (run.mjs --collector-v8-flags): set at start-up.
if (process.env.RAMPART_BENCH_V8_FLAGS) v8.setFlagsFromString(process.env.RAMPART_BENCH_V8_FLAGS);

const out = process.env.RAMPART_BENCH_DIAG;
if (out) {
  // The histogram records the time between its 10 ms samples; the delay is what exceeds 10 ms.
  const RESOLUTION_MS = 10;
  const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  eld.enable();
  let gc = { n: 0, ms: 0, maxMs: 0, major: 0 };
  /** V8 heap used just after the last full (mark-compact) collection: about the live data. */
  let liveAfterMajor = null;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.n++;
      gc.ms += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major++;
        liveAfterMajor = process.memoryUsage().heapUsed;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  const mb = (n) => Math.round((n / 1048576) * 10) / 10;
  const ms = (ns) => Math.max(0, Math.round(ns / 1e5 - RESOLUTION_MS * 10) / 10);
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const line = {
      t: Date.now(),
      rss: mb(m.rss),
      heapUsed: mb(m.heapUsed),
      heapTotal: mb(m.heapTotal),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      eldP50: ms(eld.percentile(50)),
      eldP99: ms(eld.percentile(99)),
      eldMax: ms(eld.max),
      gcN: gc.n,
      gcMs: Math.round(gc.ms * 10) / 10,
      gcMaxMs: Math.round(gc.maxMs * 10) / 10,
      gcMajor: gc.major,
      liveAfterMajor: liveAfterMajor === null ? null : mb(liveAfterMajor),
      // Committed size of the V8 spaces that matter here (young generation, old, large objects).
      spaces: Object.fromEntries(
        v8
          .getHeapSpaceStatistics()
          .filter((sp) => ['new_space', 'old_space', 'large_object_space', 'new_large_object_space', 'code_space'].includes(sp.space_name))
          .map((sp) => [sp.space_name.replace('_space', ''), [mb(sp.space_used_size), mb(sp.physical_space_size)]]),
      ),
    };
    eld.reset();
    gc = { n: 0, ms: 0, maxMs: 0, major: 0 };
    try {
      appendFileSync(out, JSON.stringify(line) + '\n');
    } catch {
      /* the bench removed its directory: nothing left to record */
    }
  }, 250);
  timer.unref();
}

const heapProf = process.env.RAMPART_BENCH_HEAPPROF;
const cpuProf = process.env.RAMPART_BENCH_CPUPROF;
if (heapProf || cpuProf) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  const site = (f) => `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\//, '')}:${f.lineNumber + 1}`;
  const top = (map, scale) => [...map].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([at, n]) => ({ at, [scale.unit]: Math.round(n / scale.div) }));
  const startAll = async () => {
    if (heapProf) await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    if (cpuProf) await post('Profiler.start');
  };
  const writeAll = async (n) => {
    if (heapProf) {
      const { profile } = await post('HeapProfiler.stopSampling');
      const self = new Map();
      const walk = (node, parent) => {
        const key = `${site(node.callFrame)} < ${parent}`;
        if (node.selfSize) self.set(key, (self.get(key) ?? 0) + node.selfSize);
        for (const c of node.children) walk(c, node.callFrame.functionName || '(anonymous)');
      };
      walk(profile.head, '');
      const total = [...self.values()].reduce((a, b) => a + b, 0);
      writeFileSync(`${heapProf}.${n}.tmp`, JSON.stringify({ at: Date.now(), totalMB: Math.round(total / 1048576), top: top(self, { unit: 'kb', div: 1024 }) }, null, 1));
    }
    if (cpuProf) {
      const { profile } = await post('Profiler.stop');
      // Self time per function (sample counts × interval), and total time per function (self + callees).
      const byId = new Map(profile.nodes.map((x) => [x.id, x]));
      const hits = new Map();
      for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
      const dt = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
      const self = new Map();
      const total = new Map();
      const visit = (node, stack) => {
        const key = site(node.callFrame);
        const h = hits.get(node.id) ?? 0;
        self.set(key, (self.get(key) ?? 0) + h * dt);
        const seen = new Set(stack);
        for (const k of [...seen, key]) if (h) total.set(k, (total.get(k) ?? 0) + h * dt);
        for (const c of node.children ?? []) visit(byId.get(c), seen.has(key) ? stack : [...stack, key]);
      };
      visit(profile.nodes[0], []);
      writeFileSync(`${cpuProf}.${n}.tmp`, JSON.stringify({ at: Date.now(), ms: Math.round((profile.endTime - profile.startTime) / 1000), self: top(self, { unit: 'ms', div: 1000 }), total: top(total, { unit: 'ms', div: 1000 }) }, null, 1));
    }
  };
  await post('HeapProfiler.enable');
  await post('Profiler.enable');
  await startAll();
  let n = 0;
  let busy = false;
  process.on('SIGUSR2', () => {
    if (busy) return;
    busy = true;
    writeAll(++n)
      .catch(() => {})
      .then(startAll)
      .finally(() => (busy = false));
  });
}
