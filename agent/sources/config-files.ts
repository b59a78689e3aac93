/**
 * @module Configuration files named by globs (e.g. /etc/rsyslog.d/*.conf), each glob expanded
 * and each file read once per scan. Shared by the `file-lines` and `kv-config` probes.
 */
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';

export interface ConfigFile {
  path: string;
  text: string;
}

/** Paths matching one glob, sorted lexically; read once per scan. */
export function globOnce(ctx: ScanContext, pattern: string): Promise<string[]> {
  return ctx.memo(`glob:${pattern}`, () => expandGlob(ctx.host, pattern));
}

/**
 * The existing regular files matching `patterns`, in pattern order then lexical order within a
 * pattern (the order daemons read drop-ins in), without duplicates.
 */
export async function readConfigFiles(ctx: ScanContext, patterns: readonly string[]): Promise<ConfigFile[]> {
  const seen = new Set<string>();
  const out: ConfigFile[] = [];
  for (const pattern of patterns) {
    for (const path of await globOnce(ctx, pattern)) {
      if (seen.has(path)) continue;
      seen.add(path);
      const text = await readFileOnce(ctx, path);
      if (text !== undefined) out.push({ path, text });
    }
  }
  return out;
}

/** Whether a line is a comment (after leading blanks) for the given comment markers. */
export function isComment(line: string, markers: readonly string[]): boolean {
  const t = line.trimStart();
  return markers.some((m) => t.startsWith(m));
}
