/**
 * @module Installed versions of software by ecosystem, read from package metadata without
 * running or importing anything: pip `*.dist-info/METADATA` in a bounded set of site-packages
 * directories, npm global `package.json`, the dpkg/rpm database, and a few binaries' own version
 * sources. Every directory listing and file is read once per scan through ctx.memo.
 */
import path from 'node:path';
import type { ScanContext } from '../engine/context.js';
import { readDirOnce, readFileOnce } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';
import type { Ecosystem } from './ai-signatures.js';
import { readPackageDb } from './packages.js';
import { readProcesses, readProcessEnviron } from './processes.js';
import { compareVersions } from './version-order.js';
import { byCodeUnit } from '../../shared/text-order.js';

export interface Installation {
  version: string | null;
  /** Where the version was read: a METADATA file, a package.json, "dpkg", a command. */
  location: string;
}

export interface SoftwareVersion {
  installed: boolean;
  /** The lowest installed version (the one most likely to be vulnerable); null when unreadable. */
  version: string | null;
  location: string | null;
  installations: Installation[];
  sources: string[];
}

/** Site-packages globs searched on every host (bounded: fixed depth, no recursive walk). */
export const SITE_PACKAGES_GLOBS = [
  '/usr/lib/python3/dist-packages',
  '/usr/lib/python3*/site-packages',
  '/usr/lib/python3*/dist-packages',
  '/usr/lib64/python3*/site-packages',
  '/usr/local/lib/python3*/site-packages',
  '/usr/local/lib/python3*/dist-packages',
  '/opt/conda/lib/python3*/site-packages',
  '/opt/*/lib/python3*/site-packages',
  '/opt/*/venv*/lib/python3*/site-packages',
  '/opt/*/.venv/lib/python3*/site-packages',
  '/opt/venv*/lib/python3*/site-packages',
  '/srv/*/venv*/lib/python3*/site-packages',
  '/srv/*/.venv/lib/python3*/site-packages',
  '/root/.local/lib/python3*/site-packages',
  '/home/*/.local/lib/python3*/site-packages',
  '/home/*/venv*/lib/python3*/site-packages',
  '/home/*/.venv/lib/python3*/site-packages',
  '/app/.venv/lib/python3*/site-packages',
  '/app/backend/.venv/lib/python3*/site-packages',
];

export const NPM_GLOBAL_DIRS = ['/usr/lib/node_modules', '/usr/local/lib/node_modules'];

/** PEP 503 name normalisation: "Jupyter_Server" and "jupyter-server" are one project. */
export function normalizePyName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Site-packages directories of running interpreters: /x/venv/bin/python3 → /x/venv/lib/python3.* /site-packages. */
async function interpreterSitePackages(ctx: ScanContext): Promise<string[]> {
  const procs = (await readProcesses(ctx)) ?? [];
  const prefixes = new Set<string>();
  for (const p of procs) {
    const exe = p.cmdline[0];
    if (exe === undefined || !exe.startsWith('/')) continue;
    const m = /^(.*)\/bin\/[^/]+$/.exec(exe);
    if (m && m[1] && m[1] !== '/usr' && m[1] !== '' && m[1] !== '/usr/local') prefixes.add(m[1]);
  }
  const found: string[] = [];
  for (const prefix of [...prefixes].sort().slice(0, 64)) {
    found.push(...(await expandGlob(ctx.host, `${prefix}/lib/python3*/site-packages`)));
  }
  return found;
}

/** Every site-packages directory to search, expanded once per scan. */
export function sitePackagesDirs(ctx: ScanContext): Promise<string[]> {
  return ctx.memo('source:site-packages-dirs', async () => {
    const lists = await Promise.all(SITE_PACKAGES_GLOBS.map((g) => expandGlob(ctx.host, g)));
    const all = new Set([...lists.flat(), ...(await interpreterSitePackages(ctx))]);
    return [...all].sort().slice(0, 256);
  });
}

/** Normalised project name → its dist-info/egg-info directories, across all site-packages. */
function pipIndex(ctx: ScanContext): Promise<Map<string, string[]>> {
  return ctx.memo('source:pip-index', async () => {
    const index = new Map<string, string[]>();
    for (const dir of await sitePackagesDirs(ctx)) {
      const names = (await readDirOnce(ctx, dir).catch(() => undefined)) ?? [];
      for (const n of names) {
        const m = /^(.+?)-([0-9][^-]*)\.(dist-info|egg-info)$/.exec(n);
        if (!m) continue;
        const key = normalizePyName(m[1]!);
        const list = index.get(key) ?? [];
        list.push(`${dir}/${n}`);
        index.set(key, list);
      }
    }
    return index;
  });
}

function metadataVersion(text: string | undefined): string | null {
  if (text === undefined) return null;
  return /^Version:\s*(\S+)/m.exec(text)?.[1] ?? null;
}

async function pipVersions(ctx: ScanContext, name: string): Promise<SoftwareVersion> {
  const dirs = (await pipIndex(ctx)).get(normalizePyName(name)) ?? [];
  const installations: Installation[] = [];
  for (const d of dirs) {
    const file = d.endsWith('.dist-info') ? `${d}/METADATA` : `${d}/PKG-INFO`;
    const text = await readFileOnce(ctx, file).catch(() => undefined);
    const fromName = /-([0-9][^-]*)\.(dist-info|egg-info)$/.exec(d)?.[1] ?? null;
    installations.push({ version: metadataVersion(text) ?? fromName, location: text === undefined ? d : file });
  }
  return summarize(installations, ['site-packages: ' + SITE_PACKAGES_GLOBS.length + ' patterns', ...installations.map((i) => i.location)]);
}

async function npmVersions(ctx: ScanContext, name: string): Promise<SoftwareVersion> {
  const installations: Installation[] = [];
  const sources: string[] = [];
  for (const dir of NPM_GLOBAL_DIRS) {
    const file = `${dir}/${name}/package.json`;
    sources.push(file);
    const text = await readFileOnce(ctx, file).catch(() => undefined);
    if (text === undefined) continue;
    let version: string | null = null;
    try {
      const v = (JSON.parse(text) as { version?: unknown }).version;
      version = typeof v === 'string' ? v : null;
    } catch {
      version = null;
    }
    installations.push({ version, location: file });
  }
  return summarize(installations, sources);
}

async function osPackageVersions(ctx: ScanContext, manager: 'dpkg' | 'rpm', name: string): Promise<SoftwareVersion> {
  const db = await readPackageDb(ctx);
  if (db.kind !== 'db' || db.manager !== manager) return summarize([], db.kind === 'db' ? [db.source] : db.sources);
  const installations = (db.packages.get(name) ?? []).filter((p) => p.installed).map((p) => ({ version: p.version || null, location: `${db.source}: ${name}` }));
  return summarize(installations, [db.source]);
}

/** Binaries that say their version somewhere other than a package database. */
const BINARY_READERS: Record<string, (ctx: ScanContext) => Promise<Installation[]>> = {
  async ollama(ctx) {
    const out = await ctx.memo('cmd:ollama-version', () => ctx.host.run('ollama-version').catch(() => undefined));
    if (out === undefined) return [];
    const v = /version (?:is )?v?(\d+\.\d+\.\d+\S*)/i.exec(`${out.stdout}\n${out.stderr}`)?.[1];
    return [{ version: v ?? null, location: 'ollama --version' }];
  },
  async tritonserver(ctx) {
    // NGC images carry the release (YY.MM) in the server's environment.
    const procs = ((await readProcesses(ctx)) ?? []).filter((p) => p.comm === 'tritonserver');
    const out: Installation[] = [];
    for (const p of procs) {
      const env = await readProcessEnviron(ctx, p.pid);
      const v = env?.NVIDIA_TRITON_SERVER_VERSION;
      if (v) out.push({ version: v, location: `/proc/${p.pid}/environ NVIDIA_TRITON_SERVER_VERSION` });
    }
    if (out.length === 0 && (await ctx.host.lstat('/opt/tritonserver/bin/tritonserver')) !== undefined) {
      out.push({ version: null, location: '/opt/tritonserver/bin/tritonserver' });
    }
    return out;
  },
  async 'nvidia-driver'(ctx) {
    const text = await readFileOnce(ctx, '/proc/driver/nvidia/version').catch(() => undefined);
    if (text === undefined) return [];
    const v = /Kernel Module\s+(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;
    return [{ version: v, location: '/proc/driver/nvidia/version' }];
  },
};

export const BINARY_NAMES = Object.keys(BINARY_READERS);

function summarize(installations: Installation[], sources: string[]): SoftwareVersion {
  const versions = installations.map((i) => i.version).filter((v): v is string => v !== null);
  const lowest = versions.sort((a, b) => compareVersions(a, b) ?? byCodeUnit(a, b))[0] ?? null;
  const at = installations.find((i) => i.version === lowest) ?? installations[0];
  return { installed: installations.length > 0, version: lowest, location: at?.location ?? null, installations, sources: [...new Set(sources)] };
}

/** The installed versions of one package, read once per scan. */
export function readSoftwareVersion(ctx: ScanContext, ecosystem: Ecosystem, name: string): Promise<SoftwareVersion> {
  return ctx.memo(`source:software:${ecosystem}:${name}`, async () => {
    switch (ecosystem) {
      case 'pypi':
        return pipVersions(ctx, name);
      case 'npm':
        return npmVersions(ctx, name);
      case 'deb':
        return osPackageVersions(ctx, 'dpkg', name);
      case 'rpm':
        return osPackageVersions(ctx, 'rpm', name);
      case 'binary': {
        const reader = BINARY_READERS[name];
        return summarize(reader ? await reader(ctx) : [], [name]);
      }
    }
  });
}

/** The directory holding an installed pip package's code (site-packages/<module>), for config files shipped with it. */
export function packageDirOf(metadataLocation: string, moduleName: string): string {
  return path.posix.join(path.posix.dirname(path.posix.dirname(metadataLocation)), moduleName);
}
