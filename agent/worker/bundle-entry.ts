/**
 * @module Entry of the scan-worker bundle (scan-worker.cjs, built by scripts/scan-worker-bundle.mjs):
 * what a scan process runs (agent/worker/boot.ts compiles it with its V8 code cache). It holds the
 * engine, the probes and the pack loader; nothing of the daemon, the CLI or the collector.
 */
export { runScanWorker } from './scan-worker.js';
