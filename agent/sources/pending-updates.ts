/**
 * @module Pending package updates, read once per scan from the package manager's own view:
 * apt (a simulated upgrade, with the pocket each package comes from) or dnf (cached updateinfo),
 * plus whether a reboot is pending and how old the package metadata is. Live hosts only.
 */
import type { ScanContext } from '../engine/context.js';
import type { CommandId } from '../host/commands.js';
import type { CommandResult } from '../host/host.js';
import { expandGlob } from '../host/glob.js';
import { AppError } from '../../shared/errors.js';
import { kernelRelease } from './procfs.js';

export interface PendingUpdates {
  manager: 'apt' | 'dnf';
  /** Packages an upgrade would change. */
  pending: number;
  securityPending: number;
  /** Names of packages with a security update, sorted. */
  securityPackages: string[];
  /** null when it cannot be told (e.g. RHEL in a container: the running kernel is the host's). */
  rebootRequired: boolean | null;
  /** Packages asking for the reboot (/run/reboot-required.pkgs), or the newer kernel. */
  rebootPackages: string[];
  runningKernel: string | null;
  newestKernel: string | null;
  /** Hours since the newest package index was published (apt InRelease Date:, dnf repomd timestamp); null when unknown. */
  listsAgeHours: number | null;
  /** When the package manager was asked: now, or the capture time of a cached answer (commands.ts `cache`). */
  collectedAt: string;
  sources: string[];
}

function runOnce(ctx: ScanContext, id: CommandId): Promise<CommandResult | undefined> {
  return ctx.memo(`command:${id}`, () => ctx.host.run(id));
}

export interface AptUpgrade {
  name: string;
  from: string | null;
  to: string;
  /** Archive/pocket labels, e.g. ["Debian:12.15/oldstable", "Debian-Security:12/oldstable-security"]. */
  origins: string[];
  security: boolean;
}

/** `apt-get -s upgrade` lines: `Inst libssl3 [3.0.11-1] (3.0.13-1 Debian-Security:12/stable-security [amd64])`. */
export function parseAptSimulate(text: string): AptUpgrade[] {
  const out: AptUpgrade[] = [];
  for (const line of text.split('\n')) {
    const m = /^Inst\s+(\S+)(?:\s+\[([^\]]*)\])?\s+\((\S+)\s+(.*?)\s+\[[^\]]*\]\)/.exec(line);
    if (!m) continue;
    const origins = m[4]!.split(',').map((s) => s.trim()).filter(Boolean);
    out.push({
      name: m[1]!,
      from: m[2] ?? null,
      to: m[3]!,
      origins,
      security: origins.some((o) => /-security\b/i.test(o) || /^Debian-Security:/i.test(o)),
    });
  }
  return out;
}

/** Package name from a NEVRA such as `openssl-libs-1:3.0.7-27.el9.x86_64`. */
export function rpmName(nevra: string): string {
  const m = /^(.+)-[^-]+-[^-]+\.[^.]+$/.exec(nevra);
  return m ? m[1]! : nevra;
}

/** `dnf updateinfo list --security` lines: `RHSA-2024:3339 Important/Sec.  glibc-2.34-100.el9_4.2.x86_64`. */
export function parseDnfSecurity(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3 && /^[A-Z]+-\d{4}:\d+$/.test(f[0]!) && /sec/i.test(f[1]!)) names.add(rpmName(f[2]!));
  }
  return [...names].sort();
}

/** `dnf check-update` lines: `glibc.x86_64  2.34-100.el9_4.2  rhel-9-for-x86_64-baseos-rpms` (stops at "Obsoleting Packages"). */
export function parseDnfCheckUpdate(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    if (/^Obsoleting Packages/i.test(line)) break;
    const m = /^(\S+)\.(\w+)\s+\S+\s+\S+\s*$/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

/** rpmvercmp-style comparison of kernel releases ("5.14.0-427.13.1.el9_4.x86_64"): digit runs numerically, letters lexically. */
export function compareRelease(a: string, b: string): number {
  const sa = a.match(/\d+|[a-zA-Z]+/g) ?? [];
  const sb = b.match(/\d+|[a-zA-Z]+/g) ?? [];
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (nx !== ny) return nx ? 1 : -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function ageHours(now: Date, when: number | undefined): number | null {
  if (when === undefined || !Number.isFinite(when)) return null;
  return Math.max(0, Math.round(((now.getTime() - when) / 3_600_000) * 10) / 10);
}

/** Newest publication time of the apt indexes (InRelease/Release `Date:`), falling back to file mtime. */
async function aptListsTime(ctx: ScanContext, sources: string[]): Promise<number | undefined> {
  const files = [...(await expandGlob(ctx.host, '/var/lib/apt/lists/*InRelease')), ...(await expandGlob(ctx.host, '/var/lib/apt/lists/*_Release'))];
  let newest: number | undefined;
  for (const f of files) {
    const text = await ctx.host.readFile(f);
    const date = text === undefined ? undefined : /^Date:\s*(.+)$/m.exec(text)?.[1];
    let t = date === undefined ? NaN : Date.parse(date);
    if (!Number.isFinite(t)) t = (await ctx.host.stat(f))?.mtimeMs ?? NaN;
    if (Number.isFinite(t) && (newest === undefined || t > newest)) newest = t;
  }
  if (files.length > 0) sources.push('/var/lib/apt/lists/*InRelease');
  return newest;
}

/** Newest dnf repository metadata timestamp (repomd.xml <timestamp>, else its mtime). */
async function dnfCacheTime(ctx: ScanContext, sources: string[]): Promise<number | undefined> {
  const files = await expandGlob(ctx.host, '/var/cache/dnf/*/repodata/repomd.xml');
  let newest: number | undefined;
  for (const f of files) {
    const text = await ctx.host.readFile(f);
    const stamps = [...(text ?? '').matchAll(/<timestamp>(\d+)<\/timestamp>/g)].map((m) => Number(m[1]) * 1000);
    let t = stamps.length > 0 ? Math.max(...stamps) : NaN;
    if (!Number.isFinite(t)) t = (await ctx.host.stat(f))?.mtimeMs ?? NaN;
    if (Number.isFinite(t) && (newest === undefined || t > newest)) newest = t;
  }
  if (files.length > 0) sources.push('/var/cache/dnf/*/repodata/repomd.xml');
  return newest;
}

function failed(id: CommandId, r: CommandResult): AppError {
  const why = (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '';
  return new AppError('ERR_PROBE_FAILED', `${id} exited ${r.exitCode}: ${why.slice(0, 200)}`);
}

/**
 * Installed kernel releases: /lib/modules/<release>, BLS entries /boot/loader/entries/<id>-<release>.conf
 * and /boot/vmlinuz-<release> (rescue images left out).
 */
async function installedKernels(ctx: ScanContext): Promise<string[]> {
  const [mods, usrMods, bls, boot] = await Promise.all([
    ctx.host.readDir('/lib/modules'),
    ctx.host.readDir('/usr/lib/modules'),
    ctx.host.readDir('/boot/loader/entries'),
    ctx.host.readDir('/boot'),
  ]);
  const found = new Set<string>();
  for (const k of [...(mods ?? []), ...(usrMods ?? [])]) if (/^\d/.test(k)) found.add(k);
  for (const e of bls ?? []) {
    const m = /^[0-9a-f]{32}-(\d.*)\.conf$/.exec(e);
    if (m && !m[1]!.includes('rescue')) found.add(m[1]!);
  }
  for (const f of boot ?? []) {
    const m = /^vmlinuz-(\d.*)$/.exec(f);
    if (m && !m[1]!.includes('rescue')) found.add(m[1]!);
  }
  return [...found];
}

/** Undefined when neither apt nor dnf is available (or this is an offline root). */
export function readPendingUpdates(ctx: ScanContext): Promise<PendingUpdates | undefined> {
  return ctx.memo('source:pending-updates', async () => {
    const family = new Set([ctx.facts.os.id, ...ctx.facts.os.idLike]);
    const preferDnf = ['rhel', 'fedora', 'centos'].some((f) => family.has(f));
    const order: Array<'apt' | 'dnf'> = preferDnf ? ['dnf', 'apt'] : ['apt', 'dnf'];
    for (const m of order) {
      const result = m === 'apt' ? await readApt(ctx) : await readDnf(ctx);
      if (result) return result;
    }
    return undefined;
  });
}

async function readApt(ctx: ScanContext): Promise<PendingUpdates | undefined> {
  const r = await runOnce(ctx, 'apt-upgrade-simulate');
  if (r === undefined) return undefined;
  if (r.exitCode !== 0) throw failed('apt-upgrade-simulate', r);
  const sources = [r.cachedAt ? `command:apt-upgrade-simulate (cached ${r.cachedAt})` : 'command:apt-upgrade-simulate'];
  const ups = parseAptSimulate(r.stdout);
  const sec = [...new Set(ups.filter((u) => u.security).map((u) => u.name))].sort();
  let flag: string | undefined;
  let pkgs: string | undefined;
  for (const dir of ['/run', '/var/run']) {
    if (flag === undefined) {
      flag = await ctx.host.readFile(`${dir}/reboot-required`);
      if (flag !== undefined) sources.push(`${dir}/reboot-required`);
    }
    pkgs ??= await ctx.host.readFile(`${dir}/reboot-required.pkgs`);
  }
  const running = (await kernelRelease(ctx)) ?? null;
  return {
    manager: 'apt',
    pending: ups.length,
    securityPending: sec.length,
    securityPackages: sec,
    rebootRequired: flag !== undefined,
    rebootPackages: [...new Set((pkgs ?? '').split('\n').map((s) => s.trim()).filter(Boolean))].sort(),
    runningKernel: running,
    newestKernel: null,
    listsAgeHours: ageHours(ctx.now, await aptListsTime(ctx, sources)),
    collectedAt: r.cachedAt ?? ctx.now.toISOString(),
    sources,
  };
}

async function readDnf(ctx: ScanContext): Promise<PendingUpdates | undefined> {
  const [secR, allR] = await Promise.all([runOnce(ctx, 'dnf-security-updates'), runOnce(ctx, 'dnf-check-update')]);
  if (secR === undefined) return undefined;
  if (secR.exitCode !== 0) throw failed('dnf-security-updates', secR);
  const sources = [secR.cachedAt ? `command:dnf-security-updates (cached ${secR.cachedAt})` : 'command:dnf-security-updates'];
  const sec = parseDnfSecurity(secR.stdout);
  let pending = sec.length;
  if (allR !== undefined) {
    // check-update exits 100 when updates are available, 0 when none.
    if (allR.exitCode !== 0 && allR.exitCode !== 100) throw failed('dnf-check-update', allR);
    sources.push('command:dnf-check-update');
    pending = Math.max(pending, new Set(parseDnfCheckUpdate(allR.stdout)).size);
  }
  // Reboot: the newest installed kernel is not the one running. Only judged when the running
  // kernel is itself installed here (in a container the running kernel belongs to the host).
  const running = (await kernelRelease(ctx)) ?? null;
  const installed = await installedKernels(ctx);
  const newest = installed.length > 0 ? installed.reduce((a, b) => (compareRelease(a, b) >= 0 ? a : b)) : null;
  let rebootRequired: boolean | null = null;
  if (running !== null && newest !== null && installed.includes(running)) {
    sources.push('/lib/modules', '/boot/loader/entries', '/proc/sys/kernel/osrelease');
    rebootRequired = running !== newest;
  }
  return {
    manager: 'dnf',
    pending,
    securityPending: sec.length,
    securityPackages: sec,
    rebootRequired,
    rebootPackages: rebootRequired ? [`kernel-${newest}`] : [],
    runningKernel: running,
    newestKernel: newest,
    listsAgeHours: ageHours(ctx.now, await dnfCacheTime(ctx, sources)),
    collectedAt: secR.cachedAt ?? ctx.now.toISOString(),
    sources,
  };
}
