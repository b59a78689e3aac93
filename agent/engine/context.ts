/**
 * @module The per-scan context handed to every probe: the host, its facts, and a memo so
 * that each source (a file, /proc/net, a command) is read once per scan however many rules use it.
 */
import type { Host } from '../host/host.js';
import type { HostFacts } from '../../shared/result.js';

export interface ScanContext {
  readonly host: Host;
  readonly facts: HostFacts;
  /** The scan's clock, for probes that compare ages. */
  readonly now: Date;
  /**
   * Run `load` once per scan for `key` and share the promise with every caller.
   * Keys are namespaced by source, e.g. `proc-net:tcp` or `file:/etc/ssh/sshd_config`.
   */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export function createScanContext(host: Host, facts: HostFacts, now = new Date()): ScanContext {
  const cache = new Map<string, Promise<unknown>>();
  return {
    host,
    facts,
    now,
    memo<T>(key: string, load: () => Promise<T>): Promise<T> {
      let hit = cache.get(key) as Promise<T> | undefined;
      if (hit === undefined) {
        hit = load();
        cache.set(key, hit);
      }
      return hit;
    },
  };
}

/** Memoised whole-file read: every probe that needs the same file shares one read. */
export function readFileOnce(ctx: ScanContext, path: string): Promise<string | undefined> {
  return ctx.memo(`file:${path}`, () => ctx.host.readFile(path));
}

export function readDirOnce(ctx: ScanContext, path: string): Promise<string[] | undefined> {
  return ctx.memo(`dir:${path}`, () => ctx.host.readDir(path));
}
