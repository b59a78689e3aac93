/**
 * @module A small on-disk cache for expensive command outputs (a simulated upgrade takes
 * seconds), so repeated scans stay fast. An entry is used only while younger than its
 * maxAge and while none of the files it depends on changed after it was captured; the
 * answer carries `cachedAt` so evidence shows how old it is.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CommandResult } from './host.js';

interface Entry {
  savedAt: string;
  result: CommandResult;
}

async function newestMtime(p: string): Promise<number> {
  try {
    const st = await fs.stat(p);
    if (!st.isDirectory()) return st.mtimeMs;
    // A directory's own mtime changes when entries are added or removed; also look one level down
    // (apt replaces list files in place).
    let newest = st.mtimeMs;
    for (const name of await fs.readdir(p)) {
      const child = await fs.stat(path.join(p, name)).catch(() => undefined);
      if (child && child.mtimeMs > newest) newest = child.mtimeMs;
    }
    return newest;
  } catch {
    return 0;
  }
}

export async function readCachedCommand(
  dir: string,
  id: string,
  policy: { maxAgeSeconds: number; invalidatedBy: readonly string[] },
  now = Date.now(),
): Promise<CommandResult | undefined> {
  let entry: Entry;
  try {
    entry = JSON.parse(await fs.readFile(path.join(dir, `${id}.json`), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  const saved = Date.parse(entry.savedAt);
  if (!Number.isFinite(saved) || now - saved > policy.maxAgeSeconds * 1000 || saved > now) return undefined;
  const changed = await Promise.all(policy.invalidatedBy.map(newestMtime));
  // File times come from a coarse kernel clock that can lag a few milliseconds behind ours, so a
  // change in the second before the capture also invalidates it (a miss only costs speed).
  if (changed.some((m) => m >= saved - 1000)) return undefined;
  return { ...entry.result, cachedAt: entry.savedAt };
}

/** Best effort: a cache that cannot be written only costs speed. Written atomically (temp + rename). */
export async function writeCachedCommand(dir: string, id: string, result: CommandResult, now = new Date()): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${id}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    const { cachedAt: _drop, ...plain } = result;
    await fs.writeFile(tmp, JSON.stringify({ savedAt: now.toISOString(), result: plain } satisfies Entry), { mode: 0o600 });
    await fs.rename(tmp, file);
  } catch {
    // ignore: read-only filesystem or no permission
  }
}
