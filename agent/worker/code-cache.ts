/**
 * @module The scan processes' V8 code cache: the bytecode V8 compiled for the scan-worker bundle,
 * saved after a scan (so it holds every function the scan ran, not only the top level) and handed
 * back to V8 by the next scan process, which then skips parsing and compiling ~0.9 MB of
 * JavaScript (docs/PERFORMANCE.md, "Agent footprint and watchdog").
 *
 * It lives in <state-dir>/cache beside the validated-pack cache, with the same trust: written only
 * by the agent, owner-only (0600 in a 0700 directory). A file owned by someone else or writable by
 * group or others is never read. Its name carries the bundle's SHA-256 and the Node version, so
 * another build or runtime never picks it up; V8 also checks its own version, flags and the source
 * before accepting one, and a cache it rejects is written again after the scan.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CodeCacheStatus } from '../watchdog/messages.js';

const PREFIX = 'scan-worker-';
const SUFFIX = '.v8cache';

export interface CodeCache {
  /** The cached data to give V8, if a usable file was there. */
  readonly data: Buffer | undefined;
  /**
   * Once the job ran: if V8 did not accept `data`, save `produce()` (only after a scan job, whose
   * functions are the ones worth caching) and say what happened.
   */
  finish(accepted: boolean, scanned: boolean, produce: () => Buffer): CodeCacheStatus;
}

/** The cache file for this bundle and runtime in `dir`. */
export function codeCacheFile(dir: string, source: Buffer): string {
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 24);
  return path.join(dir, `${PREFIX}${process.version}-${process.arch}-${digest}${SUFFIX}`);
}

/** Read the cache file if it is ours alone; anything else (absent, foreign, loose mode) reads as none. */
function readOwn(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Remove the caches of other builds and runtimes (an upgrade leaves one behind). */
function pruneOthers(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(PREFIX) && name.endsWith(SUFFIX) && name !== path.basename(keep)) rmSync(path.join(dir, name), { force: true });
  }
}

/** The code cache of `source` under `dir` (undefined: no cache directory known, caching off). */
export function openCodeCache(dir: string | undefined, source: Buffer): CodeCache {
  if (dir === undefined) return { data: undefined, finish: () => 'off' };
  const file = codeCacheFile(dir, source);
  const data = readOwn(file);
  return {
    data,
    finish(accepted, scanned, produce) {
      if (data !== undefined && accepted) return 'accepted';
      if (!scanned) return data === undefined ? 'off' : 'rejected';
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(tmp, produce(), { mode: 0o600 });
        renameSync(tmp, file);
        pruneOthers(dir, file);
        return data === undefined ? 'written' : 'rejected';
      } catch {
        try {
          rmSync(tmp, { force: true });
        } catch {
          // No directory to leave it in.
        }
        return 'unwritable';
      }
    },
  };
}
