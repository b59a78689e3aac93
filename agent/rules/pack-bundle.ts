/**
 * @module Agent-side pack bundles: verify a bundle (trusted key, digest, signature, no rollback,
 * header matching the pack it carries, pack compiling against the fixed probe registry) and
 * install it into the state directory (`<state-dir>/packs/<packId>.bundle.json` + `.yaml`).
 * Installed packs are verified again every time they are loaded, so removing a key from the
 * trusted directory retires the packs it signed. A pack is data: it can only name probes of
 * agent/probes/index.ts with parameters their schemas accept, and probes run only the fixed
 * commands of agent/host/commands.ts; nothing in a bundle is ever executed.
 */
import { promises as fs } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { checkBundleSignature, compareVersions, parseBundle, sha256Hex, type PackBundle, type SignatureCheck } from '../../shared/pack-bundle.js';
import { writeFileAtomic } from '../daemon/atomic-file.js';
import type { CompiledPack } from './compiled.js';
import type { DirectiveIndex } from './directives.js';
import { issuesError } from './load-packs.js';
import { directivesFile } from './paths.js';
// The YAML parser and the pack compiler are imported only to verify a bundle the collector sent:
// every scan process loads this module (installed packs), and a scan needs neither.

export interface PackTrust {
  /** keyId → Ed25519 public key (signing-keys.ts loadTrustedKeys). */
  trusted: ReadonlyMap<string, KeyObject>;
  /** Development only: accept bundles without a signature (never a tampered or untrusted one). */
  allowUnsigned: boolean;
  log: Logger;
}

export interface VerifiedBundle {
  bundle: PackBundle;
  check: SignatureCheck;
  compiled: CompiledPack;
}

/** The loud warning every accepted unsigned bundle produces. */
export function warnUnsigned(log: Logger, bundle: PackBundle, where: string): void {
  log.warn(
    { packId: bundle.packId, version: bundle.version, sha256: bundle.sha256, where },
    'UNSIGNED RULE PACK ACCEPTED because of --allow-unsigned: development only; never run production agents with this flag',
  );
}

/**
 * Verify a bundle for this agent. `running` holds the version of every pack the agent runs now
 * (shipped, local or installed): a lower version is ERR_PACK_ROLLBACK, and so is the same version
 * with other content. Throws the coded error; returns the compiled pack on success.
 */
export async function verifyBundle(input: unknown, trust: PackTrust, running: ReadonlyMap<string, { version: string; sha256: string }>, directives?: DirectiveIndex): Promise<VerifiedBundle> {
  const bundle = parseBundle(input);
  const check = checkBundleSignature(bundle, trust.trusted, trust.allowUnsigned);
  const current = running.get(bundle.packId);
  if (current) {
    const order = compareVersions(bundle.version, current.version);
    if (order < 0) throw new AppError('ERR_PACK_ROLLBACK', `pack ${bundle.packId} ${bundle.version} is older than the running ${current.version}`);
    if (order === 0 && current.sha256 !== bundle.sha256) {
      throw new AppError('ERR_PACK_ROLLBACK', `pack ${bundle.packId} ${bundle.version} has other content than the running pack of the same version (versions only go up)`);
    }
  }
  const [{ compilePack }, { loadDirectives }] = await Promise.all([import('./compile-pack.js'), import('./directives.js')]);
  const index = directives ?? (await loadDirectives(directivesFile()));
  const result = compilePack(bundle.pack, `bundle:${bundle.packId}@${bundle.version}`, { directives: index });
  if (!result.pack) throw issuesError(result.issues[0]?.code ?? 'ERR_PACK_SCHEMA', result.issues);
  if (result.pack.ref.id !== bundle.packId || result.pack.ref.version !== bundle.version) {
    throw new AppError('ERR_PACK_BUNDLE_INVALID', `the bundle says ${bundle.packId} ${bundle.version} but the pack inside is ${result.pack.ref.id} ${result.pack.ref.version}`);
  }
  if (!check.signed) warnUnsigned(trust.log, bundle, 'verify');
  return { bundle, check, compiled: result.pack };
}

export interface InstalledPackFile {
  packId: string;
  version: string;
  sha256: string;
  keyId: string | null;
  /** The pack YAML the loader reads. */
  file: string;
}

/** The packs this agent received from its collector, in `<state-dir>/packs/`. */
export class InstalledPacks {
  constructor(readonly dir: string) {}

  private bundleFile(packId: string): string {
    return path.join(this.dir, `${packId}.bundle.json`);
  }

  private packFile(packId: string): string {
    return path.join(this.dir, `${packId}.yaml`);
  }

  /**
   * Write a verified bundle and its pack text (both 0600, atomically; the YAML first). The files of
   * an earlier version are kept as `.prev` until commit() (or put back by restore()).
   */
  async install(v: VerifiedBundle): Promise<InstalledPackFile> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const { bundle } = v;
    for (const f of [this.packFile(bundle.packId), this.bundleFile(bundle.packId)]) {
      await fs.copyFile(f, `${f}.prev`).catch(() => undefined);
    }
    await writeFileAtomic(this.packFile(bundle.packId), bundle.pack, { mode: 0o600 });
    await writeFileAtomic(this.bundleFile(bundle.packId), JSON.stringify(bundle) + '\n', { mode: 0o600 });
    return { packId: bundle.packId, version: bundle.version, sha256: bundle.sha256, keyId: bundle.keyId ?? null, file: this.packFile(bundle.packId) };
  }

  /** What is installed, unverified (for `rampart agent status`): id, version, digest, key, signing time. */
  async headers(): Promise<Array<Pick<PackBundle, 'packId' | 'version' | 'sha256' | 'signedAt'> & { keyId: string | null }>> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out = [];
    for (const name of names.filter((n) => n.endsWith('.bundle.json')).sort()) {
      try {
        const b = parseBundle(await fs.readFile(path.join(this.dir, name), 'utf8'));
        out.push({ packId: b.packId, version: b.version, sha256: b.sha256, signedAt: b.signedAt, keyId: b.keyId ?? null });
      } catch {
        // unreadable entries are reported by load() when the agent starts
      }
    }
    return out;
  }

  /** Keep the new version: drop the `.prev` copies. */
  async commit(packId: string): Promise<void> {
    for (const f of [this.packFile(packId), this.bundleFile(packId)]) await fs.rm(`${f}.prev`, { force: true });
  }

  /** Undo install(): put the previous version back, or remove the pack when there was none. */
  async restore(packId: string, hadPrevious: boolean): Promise<void> {
    for (const f of [this.bundleFile(packId), this.packFile(packId)]) {
      if (hadPrevious) await fs.rename(`${f}.prev`, f).catch(() => undefined);
      else await fs.rm(f, { force: true });
    }
  }

  /**
   * Every installed pack that still verifies (signature with today's trusted keys, pack text on
   * disk equal to the signed digest). One that does not is logged and left out, never loaded.
   */
  async load(trust: PackTrust): Promise<InstalledPackFile[]> {
    let names: string[];
    try {
      names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.bundle.json')).sort();
    } catch {
      return [];
    }
    const out: InstalledPackFile[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      try {
        const bundle = parseBundle(await fs.readFile(file, 'utf8'));
        if (name !== `${bundle.packId}.bundle.json`) throw new AppError('ERR_PACK_BUNDLE_INVALID', `${name} holds pack ${bundle.packId}`);
        const check = checkBundleSignature(bundle, trust.trusted, trust.allowUnsigned);
        const yamlFile = this.packFile(bundle.packId);
        const text = await fs.readFile(yamlFile, 'utf8');
        if (sha256Hex(text) !== bundle.sha256) throw new AppError('ERR_PACK_SIGNATURE', `${yamlFile} does not match the signed digest of pack ${bundle.packId} ${bundle.version}`);
        if (!check.signed) warnUnsigned(trust.log, bundle, 'load');
        out.push({ packId: bundle.packId, version: bundle.version, sha256: bundle.sha256, keyId: bundle.keyId ?? null, file: yamlFile });
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'ERR_AGENT_STATE_CORRUPT';
        trust.log.error({ code, file, message: (err as Error).message }, 'Installed rule pack refused; it is not loaded');
      }
    }
    return out;
  }
}

/**
 * The pack files a scan runs: the base files (local --pack files, or the shipped packs) and the
 * installed packs; where both have a pack id, the higher version wins (an installed pack replaces
 * the shipped one of the same or a lower version; an agent upgrade that ships a newer version
 * is never rolled back by an older installed bundle).
 */
export async function packFilesWith(baseFiles: readonly string[], installed: readonly InstalledPackFile[]): Promise<string[]> {
  if (installed.length === 0) return [...baseFiles];
  const byId = new Map(installed.map((p) => [p.packId, p]));
  const dropped = new Set<string>();
  const { parse } = await import('yaml');
  const kept: string[] = [];
  for (const file of baseFiles) {
    let header: { id?: unknown; version?: unknown } | undefined;
    try {
      header = (parse(await fs.readFile(file, 'utf8')) as { pack?: { id?: unknown; version?: unknown } } | null)?.pack;
    } catch {
      header = undefined; // the loader reports the problem with its line
    }
    const other = typeof header?.id === 'string' ? byId.get(header.id) : undefined;
    if (!other) kept.push(file);
    else if (typeof header?.version === 'string' && /^\d+\.\d+\.\d+$/.test(header.version) && compareVersions(header.version, other.version) > 0) {
      kept.push(file);
      dropped.add(other.packId);
    }
  }
  return [...kept, ...installed.filter((p) => !dropped.has(p.packId)).map((p) => p.file)];
}
