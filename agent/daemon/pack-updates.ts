/**
 * @module The packs a running agent scans with, and their updates from the collector. At start:
 * the local packs (--pack files, or the shipped ones) plus the signed packs installed in
 * `<state-dir>/packs/` (verified again), an installed pack replacing a local one of the same id.
 * A `pack` frame is verified (agent/rules/pack-bundle.ts: trusted key, digest, signature, no
 * rollback, compiles against the fixed probe registry), tried together with the other packs
 * (rule ids unique), then installed; the next scan uses it. A refused bundle changes nothing
 * and is logged with its code. Updates are applied one at a time.
 */
import type { Logger } from '../../shared/log.js';
import type { PackRef } from '../../shared/result.js';
import type { AppError } from '../../shared/errors.js';
import { loadPacks, shippedPackFiles, type LoadedPacks } from '../rules/load-packs.js';
import { InstalledPacks, packFilesWith, verifyBundle, type InstalledPackFile, type PackTrust } from '../rules/pack-bundle.js';
import type { PackCache } from '../rules/pack-cache.js';
import { loadTrustedKeys } from '../rules/signing-keys.js';
import type { PackUpdateOutcome } from '../watchdog/messages.js';
import type { AgentConfig } from './config.js';
import path from 'node:path';

export type { PackUpdateOutcome };

/** The part of the agent configuration that decides which packs run. */
export type PackSettings = Pick<AgentConfig, 'packs' | 'tailoring' | 'trustedKeys' | 'allowUnsigned'>;

export class PackUpdates {
  private loaded!: LoadedPacks;
  private installedFiles: InstalledPackFile[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  readonly store: InstalledPacks;

  constructor(
    private readonly config: PackSettings,
    stateDir: string,
    private readonly log: Logger,
    /** Called after a pack was installed (the daemon scans again). */
    private readonly onInstalled: (ref: PackRef) => void = () => undefined,
    /** Validated-pack cache (null: none; default: the installation's, see pack-cache.ts). */
    private readonly cache?: PackCache | null,
  ) {
    this.store = new InstalledPacks(path.join(stateDir, 'packs'));
  }

  get current(): LoadedPacks {
    return this.loaded;
  }

  get refs(): PackRef[] {
    return this.loaded.packs.map((p) => p.ref);
  }

  private async trust(): Promise<PackTrust> {
    const trusted = await loadTrustedKeys(this.config.trustedKeys);
    if (this.config.allowUnsigned) {
      this.log.warn({ trustedKeys: this.config.trustedKeys }, '--allow-unsigned is ON: unsigned rule packs from the collector will be accepted; development only');
    }
    return { trusted, allowUnsigned: this.config.allowUnsigned, log: this.log };
  }

  private async baseFiles(): Promise<string[]> {
    return this.config.packs.length > 0 ? [...this.config.packs] : shippedPackFiles();
  }

  private load(files: string[]): Promise<LoadedPacks> {
    return loadPacks({ packFiles: files, ...(this.config.tailoring ? { tailoringFile: this.config.tailoring } : {}), ...(this.cache !== undefined ? { cache: this.cache } : {}) });
  }

  /** Load the packs at start (throws like loadPacks when the local packs are broken). */
  async init(): Promise<LoadedPacks> {
    const base = await this.baseFiles();
    this.installedFiles = await this.store.load(await this.trust());
    try {
      this.loaded = await this.load(await packFilesWith(base, this.installedFiles));
    } catch (err) {
      if (this.installedFiles.length === 0) throw err;
      this.log.error({ code: (err as AppError).code, message: (err as Error).message }, 'Installed rule packs do not load together with the local ones; running the local packs only');
      this.installedFiles = [];
      this.loaded = await this.load(base);
    }
    if (this.installedFiles.length > 0) this.log.info({ installed: this.installedFiles.map((p) => `${p.packId}@${p.version}`) }, 'Signed rule packs from the collector loaded');
    return this.loaded;
  }

  /** Verify and install one bundle from a `pack` frame. Never throws. */
  receive(bundle: unknown): Promise<PackUpdateOutcome> {
    const run = this.chain.then(() => this.apply(bundle));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(input: unknown): Promise<PackUpdateOutcome> {
    const header = (input ?? {}) as { packId?: unknown; version?: unknown; sha256?: unknown };
    try {
      const running = new Map(this.loaded.packs.map((p) => [p.ref.id, { version: p.ref.version, sha256: p.ref.sha256 }]));
      const verified = await verifyBundle(input, await this.trust(), running, this.loaded.directives);
      const { bundle } = verified;
      const now = running.get(bundle.packId);
      if (now && now.sha256 === bundle.sha256) {
        this.log.debug({ packId: bundle.packId, version: bundle.version }, 'Rule pack already running');
        return { status: 'unchanged', packId: bundle.packId, version: bundle.version };
      }
      // Install into a candidate set first: it must load together with every other pack.
      const candidate = await this.store.install(verified);
      const others = this.installedFiles.filter((p) => p.packId !== bundle.packId);
      const next = [...others, candidate];
      let loaded: LoadedPacks;
      try {
        loaded = await this.load(await packFilesWith(await this.baseFiles(), next));
      } catch (err) {
        // Put the previous bundle of this pack (if any) back, so a restart runs what ran before.
        const previous = this.installedFiles.find((p) => p.packId === bundle.packId);
        await this.store.restore(bundle.packId, previous !== undefined);
        throw err;
      }
      await this.store.commit(bundle.packId);
      this.installedFiles = next;
      this.loaded = loaded;
      const ref = loaded.packs.find((p) => p.ref.id === bundle.packId)!.ref;
      this.log.info({ packId: ref.id, version: ref.version, sha256: ref.sha256, rules: ref.ruleCount, keyId: bundle.keyId ?? null, previous: now?.version ?? null }, 'Rule pack installed; the next scan uses it');
      this.onInstalled(ref);
      return { status: 'installed', packId: ref.id, version: ref.version };
    } catch (err) {
      const code = (err as AppError).code ?? 'ERR_INTERNAL';
      this.log.error({ code, packId: header.packId, version: header.version, sha256: header.sha256, message: (err as Error).message }, 'Rule pack from the collector refused');
      return { status: 'refused', code, message: (err as Error).message };
    }
  }
}
