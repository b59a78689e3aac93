/**
 * @module The kmod configuration, read ONCE per scan: `blacklist` and `install` lines of the *.conf
 * drop-ins in /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d, /usr/lib/modprobe.d and
 * /lib/modprobe.d (lexical file-name order, a same-named file in an earlier directory masks later ones).
 * Module names compare with '-' and '_' as the same character, as modprobe does.
 */
import type { ScanContext } from '../engine/context.js';
import { listDropIns } from './drop-in-dirs.js';

/** Highest precedence first. */
export const MODPROBE_DIRS = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/usr/lib/modprobe.d', '/lib/modprobe.d'] as const;

export interface ModprobeDirective {
  file: string;
  line: number;
}

export interface ModprobeConfig {
  files: string[];
  /** Module name (underscore form) → where it is blacklisted. */
  blacklist: Map<string, ModprobeDirective[]>;
  /** Module name → install commands in reading order (modprobe uses the first). */
  install: Map<string, (ModprobeDirective & { command: string })[]>;
}

export const moduleKey = (name: string): string => name.trim().replace(/-/g, '_');

/** Logical lines of a modprobe.conf file: comments dropped, backslash continuations joined. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending = '';
  let start = 0;
  for (const [i, raw] of text.split('\n').entries()) {
    if (pending === '') start = i + 1;
    if (raw.endsWith('\\')) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    const full = (pending + raw).trim();
    pending = '';
    if (full === '' || full.startsWith('#')) continue;
    out.push({ text: full, line: start });
  }
  return out;
}

export function parseModprobeFile(file: string, text: string, into: ModprobeConfig): void {
  for (const { text: line, line: n } of logicalLines(text)) {
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    const [, verb, name, rest] = m;
    const key = moduleKey(name!);
    if (verb === 'blacklist') {
      const list = into.blacklist.get(key) ?? [];
      list.push({ file, line: n });
      into.blacklist.set(key, list);
    } else if (verb === 'install' && rest !== undefined) {
      const list = into.install.get(key) ?? [];
      list.push({ file, line: n, command: rest.trim().replace(/\s+/g, ' ') });
      into.install.set(key, list);
    }
  }
}

export function readModprobeConfig(ctx: ScanContext): Promise<ModprobeConfig> {
  return ctx.memo('source:modprobe-config', async () => {
    const dropIns = await listDropIns(ctx, MODPROBE_DIRS);
    const texts = await Promise.all(dropIns.map((d) => ctx.host.readFile(d.path)));
    const config: ModprobeConfig = { files: [], blacklist: new Map(), install: new Map() };
    for (const [i, d] of dropIns.entries()) {
      const text = texts[i];
      if (text === undefined) continue;
      config.files.push(d.path);
      parseModprobeFile(d.path, text, config);
    }
    return config;
  });
}

/** Names of loaded modules from /proc/modules; undefined when the file is absent. */
export function readLoadedModules(ctx: ScanContext): Promise<Set<string> | undefined> {
  return ctx.memo('source:proc-modules', async () => {
    const text = await ctx.host.readFile('/proc/modules');
    if (text === undefined) return undefined;
    return new Set(
      text
        .split('\n')
        .map((l) => l.split(/\s+/)[0] ?? '')
        .filter(Boolean)
        .map(moduleKey),
    );
  });
}

/**
 * Modules built into a kernel image (modules.builtin of the running release, or of the only
 * kernel installed when there is no runtime); undefined when unknown.
 */
export function readBuiltinModules(ctx: ScanContext, release: string | undefined): Promise<{ file: string; names: Set<string> } | undefined> {
  return ctx.memo(`source:modules-builtin:${release ?? ''}`, async () => {
    let rel = release;
    if (rel === undefined) {
      const kernels = (await ctx.host.readDir('/lib/modules')) ?? [];
      if (kernels.length !== 1) return undefined;
      rel = kernels[0]!;
    }
    const file = `/lib/modules/${rel}/modules.builtin`;
    const text = await ctx.host.readFile(file);
    if (text === undefined) return undefined;
    const names = new Set<string>();
    for (const line of text.split('\n')) {
      const base = line.trim().split('/').pop() ?? '';
      if (base.endsWith('.ko')) names.add(moduleKey(base.slice(0, -3)));
    }
    return { file, names };
  });
}
