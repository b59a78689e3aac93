/**
 * @module The installed-package database, read once per scan: dpkg's status file parsed
 * directly (no subprocess), or on rpm systems the `rpm-packages` command. Offline roots can
 * be read for dpkg (a file) but not for rpm (its database needs the rpm program).
 */
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';

export const DPKG_STATUS = '/var/lib/dpkg/status';
/** Where an rpm database lives (RHEL 9 keeps /var/lib/rpm; Fedora 36+ moved it). */
export const RPM_DB_DIRS = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];

export interface InstalledPackage {
  name: string;
  version: string;
  /** dpkg: the Status field's last word (installed, config-files, half-configured, ...); rpm: "installed". */
  state: string;
  /** True when the package's files are on disk (not removed, not only config files left). */
  installed: boolean;
  arch?: string;
}

export type PackageDb =
  | { kind: 'db'; manager: 'dpkg' | 'rpm'; source: string; packages: Map<string, InstalledPackage[]> }
  /**
   * No database can be read here; `reason` says why. `outcome`: not-applicable (no database, or
   * an offline rpm root), unavailable (live rpm database without the rpm program), failed (rpm erred).
   */
  | { kind: 'none'; reason: string; outcome: 'not-applicable' | 'unavailable' | 'failed'; sources: string[] };

/**
 * dpkg states whose files are on disk. `config-files` (removed, conffiles kept) and
 * `not-installed` are absent; `half-installed` is a failed unpack and counted absent too.
 */
const DPKG_PRESENT = new Set(['installed', 'half-configured', 'unpacked', 'triggers-awaited', 'triggers-pending']);

/** Parse /var/lib/dpkg/status (RFC-822-like stanzas separated by blank lines) in one pass over its lines. */
export function parseDpkgStatus(text: string): Map<string, InstalledPackage[]> {
  const out = new Map<string, InstalledPackage[]>();
  let name: string | undefined;
  let status: string | undefined;
  let version = '';
  let arch: string | undefined;
  const flush = () => {
    if (name !== undefined && status !== undefined) {
      // Status: <want> <error-flag> <state>, e.g. "install ok installed", "deinstall ok config-files".
      const state = status.split(/\s+/)[2] ?? 'unknown';
      const pkg: InstalledPackage = { name, version, state, installed: DPKG_PRESENT.has(state) };
      if (arch !== undefined) pkg.arch = arch;
      const list = out.get(name);
      if (list) list.push(pkg);
      else out.set(name, [pkg]);
    }
    name = status = arch = undefined;
    version = '';
  };
  for (const line of text.split('\n')) {
    const c = line.charCodeAt(0);
    if (line.trim() === '') flush();
    else if (c === 32 || c === 9) continue; // continuation of a multi-line field
    else if (line.startsWith('Package:')) name = line.slice(8).trim();
    else if (line.startsWith('Status:')) status = line.slice(7).trim();
    else if (line.startsWith('Version:')) version = line.slice(8).trim();
    else if (line.startsWith('Architecture:')) arch = line.slice(13).trim();
  }
  flush();
  return out;
}

/** Parse `rpm -qa --queryformat '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n'`. */
export function parseRpmList(text: string): Map<string, InstalledPackage[]> {
  const out = new Map<string, InstalledPackage[]>();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const name = line.slice(0, tab).trim();
    const version = line.slice(tab + 1).trim();
    const list = out.get(name) ?? [];
    list.push({ name, version, state: 'installed', installed: true });
    out.set(name, list);
  }
  return out;
}

async function rpmDbPresent(ctx: ScanContext): Promise<string | undefined> {
  for (const dir of RPM_DB_DIRS) if ((await ctx.host.readDir(dir)) !== undefined) return dir;
  return undefined;
}

/** The host's package database, read once per scan. */
export function readPackageDb(ctx: ScanContext): Promise<PackageDb> {
  return ctx.memo('source:packages', async (): Promise<PackageDb> => {
    const status = await readFileOnce(ctx, DPKG_STATUS);
    if (status !== undefined && status.trim() !== '') {
      return { kind: 'db', manager: 'dpkg', source: DPKG_STATUS, packages: parseDpkgStatus(status) };
    }
    const rpm = await ctx.host.run('rpm-packages');
    if (rpm !== undefined && rpm.exitCode === 0 && rpm.stdout.trim() !== '') {
      return { kind: 'db', manager: 'rpm', source: 'rpm -qa', packages: parseRpmList(rpm.stdout) };
    }
    const rpmDir = await rpmDbPresent(ctx);
    if (rpmDir !== undefined) {
      if (rpm !== undefined && rpm.exitCode !== 0) {
        return { kind: 'none', reason: `rpm -qa failed (exit ${rpm.exitCode}): ${rpm.stderr.trim().slice(0, 200)}`, outcome: 'failed', sources: [rpmDir] };
      }
      return ctx.host.live
        ? { kind: 'none', reason: `an rpm database exists at ${rpmDir} but the rpm program is not available`, outcome: 'unavailable', sources: [rpmDir] }
        : { kind: 'none', reason: `the rpm database at ${rpmDir} can only be read with the rpm program, which an offline root scan does not run`, outcome: 'not-applicable', sources: [rpmDir] };
    }
    return { kind: 'none', reason: 'no package database (neither /var/lib/dpkg/status nor an rpm database)', outcome: 'not-applicable', sources: [DPKG_STATUS, ...RPM_DB_DIRS] };
  });
}

/** The first of `names` that is installed, else the first that has any record, else undefined. */
export function findPackage(db: Extract<PackageDb, { kind: 'db' }>, names: readonly string[]): { name: string; pkg?: InstalledPackage } {
  for (const name of names) {
    const hit = db.packages.get(name)?.find((p) => p.installed);
    if (hit) return { name, pkg: hit };
  }
  for (const name of names) {
    const any = db.packages.get(name)?.[0];
    if (any) return { name, pkg: any };
  }
  return { name: names[0]! };
}
