/**
 * @module Mounted filesystems (/proc/self/mountinfo, else /proc/mounts), active swap (/proc/swaps)
 * and the static table (/etc/fstab), each read once per scan.
 */
import type { ScanContext } from '../engine/context.js';

export interface MountEntry {
  mountPoint: string;
  source: string;
  fstype: string;
  /** Per-mount options (rw, nosuid, nodev, noexec, ...). */
  options: string[];
  /** "major:minor" of the backing device (mountinfo only). */
  majMin?: string;
}

export interface FstabEntry {
  spec: string;
  mountPoint: string;
  fstype: string;
  options: string[];
}

/** Undo the octal escapes the kernel and fstab use for spaces, tabs and backslashes (\040 ...). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 6 || right.length < 2) continue;
    out.push({ majMin: left[2]!, mountPoint: unescape(left[4]!), options: left[5]!.split(','), fstype: right[0]!, source: unescape(right[1]!) });
  }
  return out;
}

export function parseProcMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    out.push({ source: unescape(f[0]!), mountPoint: unescape(f[1]!), fstype: f[2]!, options: f[3]!.split(',') });
  }
  return out;
}

/** Mounts in mount order (a later mount on the same point hides the earlier); undefined without /proc. */
export function readMounts(ctx: ScanContext): Promise<{ file: string; mounts: MountEntry[] } | undefined> {
  return ctx.memo('source:mounts', async () => {
    const info = await ctx.host.readFile('/proc/self/mountinfo');
    if (info !== undefined) return { file: '/proc/self/mountinfo', mounts: parseMountinfo(info) };
    const mounts = await ctx.host.readFile('/proc/mounts');
    if (mounts !== undefined) return { file: '/proc/mounts', mounts: parseProcMounts(mounts) };
    return undefined;
  });
}

/** The visible mount at `mountPoint` (the last one mounted there). */
export function visibleMount(mounts: MountEntry[], mountPoint: string): MountEntry | undefined {
  for (let i = mounts.length - 1; i >= 0; i--) if (mounts[i]!.mountPoint === mountPoint) return mounts[i];
  return undefined;
}

export function parseFstab(text: string): FstabEntry[] {
  const out: FstabEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (f.length < 3) continue;
    out.push({ spec: unescape(f[0]!), mountPoint: unescape(f[1]!), fstype: f[2]!, options: (f[3] ?? 'defaults').split(',') });
  }
  return out;
}

export function readFstab(ctx: ScanContext): Promise<FstabEntry[] | undefined> {
  return ctx.memo('source:fstab', async () => {
    const text = await ctx.host.readFile('/etc/fstab');
    return text === undefined ? undefined : parseFstab(text);
  });
}

/** Active swap areas: [{file, type}] from /proc/swaps; undefined without it. */
export function readSwaps(ctx: ScanContext): Promise<{ file: string; type: string }[] | undefined> {
  return ctx.memo('source:swaps', async () => {
    const text = await ctx.host.readFile('/proc/swaps');
    if (text === undefined) return undefined;
    return text
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 2 && f[0] !== '')
      .map((f) => ({ file: unescape(f[0]!), type: f[1]! }));
  });
}
