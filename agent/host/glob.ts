/**
 * @module Expand simple path globs (`*` and `?` within segments, e.g. /etc/ssh/sshd_config.d/*.conf)
 * through the Host interface, in lexical order, as sshd, sysctl and modprobe read their drop-ins.
 */
import type { Host } from './host.js';

function segmentRegExp(seg: string): RegExp {
  const esc = seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${esc}$`);
}

/** Paths matching `pattern` that exist, sorted. A pattern without wildcards returns itself if it exists. */
export async function expandGlob(host: Host, pattern: string): Promise<string[]> {
  const parts = pattern.split('/').filter(Boolean);
  let bases = ['/'];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      const join = (name: string) => (base === '/' ? `/${name}` : `${base}/${name}`);
      if (!/[*?]/.test(part)) {
        if (last) {
          if ((await host.lstat(join(part))) !== undefined) next.push(join(part));
        } else next.push(join(part));
        continue;
      }
      const names = await host.readDir(base);
      if (!names) continue;
      const re = segmentRegExp(part);
      for (const name of names) if (!name.startsWith('.') || part.startsWith('.')) if (re.test(name)) next.push(join(name));
    }
    bases = next;
    if (bases.length === 0) break;
  }
  return bases.sort();
}
