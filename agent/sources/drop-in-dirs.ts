/**
 * @module Drop-in directory merging as systemd-sysctl and kmod do it: the `*.conf` files of several
 * directories in lexical file-name order, where a file in an earlier (higher-precedence) directory
 * masks a same-named file in a later one (e.g. /etc/sysctl.d/50-x.conf hides /usr/lib/sysctl.d/50-x.conf).
 */
import type { ScanContext } from '../engine/context.js';

export interface DropInFile {
  /** File name, the merge key. */
  name: string;
  /** Path of the file that wins for this name. */
  path: string;
  /** Paths of same-named files it masks, in precedence order. */
  masks: string[];
}

/**
 * The effective drop-ins of `dirs` (highest precedence first) with the given suffix, sorted by name.
 * Memoised per directory list, so each directory is listed once per scan.
 */
export function listDropIns(ctx: ScanContext, dirs: readonly string[], suffix = '.conf'): Promise<DropInFile[]> {
  return ctx.memo(`source:drop-ins:${suffix}:${dirs.join(',')}`, async () => {
    const byName = new Map<string, DropInFile>();
    for (const dir of dirs) {
      const names = await ctx.host.readDir(dir);
      for (const name of names ?? []) {
        if (!name.endsWith(suffix) || name.startsWith('.')) continue;
        const path = `${dir}/${name}`;
        const seen = byName.get(name);
        if (seen) seen.masks.push(path);
        else byName.set(name, { name, path, masks: [] });
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}
