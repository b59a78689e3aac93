/**
 * @module The persisted sysctl configuration, read ONCE per scan: every assignment in
 * /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d and /usr/lib/sysctl.d (*.conf, merged in
 * lexical file-name order with same-name masking, /etc first), then /etc/sysctl.conf last.
 * Keys may use dots or slashes and a leading '-' (ignore errors) is dropped.
 */
import type { ScanContext } from '../engine/context.js';
import { listDropIns } from './drop-in-dirs.js';

/** Highest precedence first. */
export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d'] as const;
export const SYSCTL_CONF = '/etc/sysctl.conf';

export type SysctlValue = string | number;

export interface SysctlAssignment {
  file: string;
  line: number;
  value: SysctlValue;
}

export interface SysctlConfig {
  /** Files read, in application order. */
  files: string[];
  /** Files hidden by a same-named file in a higher-precedence directory. */
  masked: string[];
  /** Assignments per key (slash form, e.g. net/ipv4/ip_forward), in application order. */
  byKey: Map<string, SysctlAssignment[]>;
}

/**
 * A key in /proc/sys path form. Dotted keys map dots to slashes; a key written with slashes is
 * taken literally (dots inside it are part of a name, as sysctl(8) treats them).
 */
export function sysctlPathKey(key: string): string {
  const k = key.trim().replace(/^-/, '').trim();
  return k.includes('/') ? k.replace(/^\/+/, '').replace(/\/+/g, '/') : k.replace(/\./g, '/');
}

/** Numbers as numbers (when exactly representable); other values with whitespace runs collapsed. */
export function normalizeSysctlValue(raw: string): SysctlValue {
  const v = raw.trim().replace(/\s+/g, ' ');
  if (/^-?\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  return v;
}

/** Parse one sysctl.conf-format file into (key, value, line) triples. Glob keys are kept verbatim. */
export function parseSysctlFile(text: string): { key: string; value: SysctlValue; line: number }[] {
  const out: { key: string; value: SysctlValue; line: number }[] = [];
  const lines = text.split('\n');
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue; // a bare "-key" only excludes a key from a glob
    const key = line.slice(0, eq).trim();
    if (key === '' || key === '-') continue;
    out.push({ key: sysctlPathKey(key), value: normalizeSysctlValue(line.slice(eq + 1)), line: i + 1 });
  }
  return out;
}

export function readSysctlConfig(ctx: ScanContext): Promise<SysctlConfig> {
  return ctx.memo('source:sysctl-config', async () => {
    const dropIns = await listDropIns(ctx, SYSCTL_DIRS);
    const paths = [...dropIns.map((d) => d.path), SYSCTL_CONF];
    const texts = await Promise.all(paths.map((p) => ctx.host.readFile(p)));
    const config: SysctlConfig = { files: [], masked: dropIns.flatMap((d) => d.masks), byKey: new Map() };
    for (const [i, path] of paths.entries()) {
      const text = texts[i];
      if (text === undefined) continue; // dangling link (e.g. masked with /dev/null) or absent sysctl.conf
      config.files.push(path);
      for (const a of parseSysctlFile(text)) {
        const list = config.byKey.get(a.key) ?? [];
        list.push({ file: path, line: a.line, value: a.value });
        config.byKey.set(a.key, list);
      }
    }
    return config;
  });
}
