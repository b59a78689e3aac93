/**
 * @module How a scan process starts (`agent scan-worker`). The daemon's watchdog starts one per
 * scan, so its start-up is paid every scan: instead of the whole CLI, it runs the scan-worker
 * bundle (scan-worker.cjs: the engine, probes and pack loader, nothing of the daemon or the
 * collector) compiled with the V8 code cache a previous scan process saved (agent/worker/code-cache.ts).
 *
 * Where the bundle is: inside a single executable as its `scan-worker.cjs` asset; otherwise beside
 * the running file (dist/scan-worker.cjs next to dist/rampart.js, or next to rampart-agent.mjs).
 * The node forms start this code from its own tiny script, scan-worker-boot.cjs (agent/worker/
 * boot-entry.ts), so a scan process never parses the CLI; the single executable starts it as
 * `agent scan-worker`. Run from sources (tests), there is no bundle and the caller's `fallback`
 * imports the scan worker directly.
 *
 * The job is read first: it names the state directory, where the cache lives. The bundle is our
 * own build output; nothing the collector sends is ever compiled or run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AppError } from '../../shared/errors.js';
import type { CodeCacheStatus } from '../watchdog/messages.js';
import { openCodeCache } from './code-cache.js';
import type { WorkerBoot } from './scan-worker.js';

/** The bundle's file name, and its asset key in a single executable. */
export const WORKER_BUNDLE = 'scan-worker.cjs';

export interface WorkerBundle {
  runScanWorker(boot: WorkerBoot): Promise<number>;
}

const requireHere = createRequire(import.meta.url);

/** The bundle's source and the file name its code sees as __filename (rules/ is found from there). */
function findBundle(): { source: Buffer; filename: string } | undefined {
  try {
    const sea = requireHere('node:sea') as { isSea(): boolean; getAsset(key: string): ArrayBuffer };
    if (sea.isSea()) return { source: Buffer.from(sea.getAsset(WORKER_BUNDLE)), filename: process.execPath };
  } catch {
    // Node before 20.12 has no node:sea; a single executable built without the asset has none.
  }
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), WORKER_BUNDLE);
  return existsSync(file) ? { source: readFileSync(file), filename: file } : undefined;
}

function nextMessage(): Promise<unknown> {
  return new Promise((resolve) => process.once('message', resolve));
}

/** The job's cache directory, if the job names a state directory (it is validated properly later). */
function cacheDirOf(job: unknown): string | undefined {
  if (process.env.RAMPART_CODE_CACHE === 'off') return undefined;
  const stateDir = (job as { settings?: { stateDir?: unknown } } | null)?.settings?.stateDir;
  return typeof stateDir === 'string' && path.isAbsolute(stateDir) ? path.join(stateDir, 'cache') : undefined;
}

/**
 * A scan allocates tens of MB of short-lived objects in a fraction of a second, and V8 starts the
 * young generation at 1 MB, doubling it per scavenge. Growing it 16x at a time saves most of those
 * scavenges. It must not be a command-line flag: any V8 flag there changes V8's flag hash, and Node
 * then rejects the code cache of its own built-in modules (measured: +30 ms to load the ones a scan
 * needs), and a single executable takes none. V8 reads this one whenever it grows the young
 * generation, so it works set at run time; it is set once our code and the built-ins it needs are
 * compiled, and back to the default before the code cache is produced (the cache records the flag
 * hash, and the next scan process compiles under the default).
 */
function youngGeneration(mode: 'scan' | 'default'): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${mode === 'scan' ? 16 : 2}`);
}

/**
 * Start the scan worker. Resolves with the exit code (the scan worker normally exits itself first).
 * `fallback` loads it from sources when there is no built bundle (tests); without one that is an error.
 */
export async function bootScanWorker(fallback?: () => Promise<WorkerBundle>): Promise<number> {
  if (typeof process.send !== 'function') {
    throw new AppError('ERR_USAGE', 'agent scan-worker is started by `agent run` (its scan watchdog), never by hand');
  }
  // The daemon went away (kill -9, crash): its scan process must not outlive it.
  process.once('disconnect', () => process.exit(3));
  const job = await nextMessage();
  const bundle = findBundle();
  if (!bundle) {
    if (!fallback) {
      // Told to the daemon as a coded failure (a broken install stops the agent at its first scan).
      const message = `${WORKER_BUNDLE} is missing beside ${fileURLToPath(import.meta.url)}`;
      await new Promise<void>((resolve) => process.send!({ type: 'failed', code: 'ERR_AGENT_FILES_MISSING', message }, undefined, {}, () => resolve()));
      throw new AppError('ERR_AGENT_FILES_MISSING', message);
    }
    return (await fallback()).runScanWorker({ job, codeCache: () => 'off' });
  }

  const cache = openCodeCache(cacheDirOf(job), bundle.source);
  const { filename } = bundle;
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${bundle.source.toString('utf8')}\n})`;
  const script = new vm.Script(wrapped, { filename, ...(cache.data ? { cachedData: cache.data } : {}) });
  const accepted = cache.data !== undefined && script.cachedDataRejected === false;
  const module = { exports: {} as WorkerBundle };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(filename), module, filename, path.dirname(filename));
  youngGeneration('scan');
  return module.exports.runScanWorker({
    job,
    codeCache: (scanned): CodeCacheStatus => {
      youngGeneration('default');
      return cache.finish(accepted, scanned, () => script.createCachedData());
    },
  });
}
