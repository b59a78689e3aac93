/**
 * @module What the collector keeps of signed rule packs: one row per (agency, pack id, version),
 * the bundle exactly as signed. The collector checks only the shape and the digest; signatures
 * are for agents to verify against their own trusted keys (a collector cannot vouch for a pack).
 */
import type { PackBundle } from '../../shared/pack-bundle.js';
import type { PackRef } from '../../shared/result.js';

export interface PublishedPack {
  /** Increasing row id: pushers remember the highest they have sent. */
  id: number;
  agencyId: number;
  agencyName: string;
  packId: string;
  version: string;
  sha256: string;
  keyId: string | null;
  signedAt: string;
  publishedAt: string;
  publishedBy: string;
  bundle: PackBundle;
}

export interface PublishPackInput {
  agencyName: string;
  bundle: PackBundle;
  /** Who published (cli:<user> or api:<user>), for the audit log. */
  actor: string;
  now: string;
}

/** Persistence of published packs (SQLite: store/sqlite/pack-bundles.ts). */
export interface PackBundleStore {
  /** Store the bundle and its audit-log entry in one transaction. Throws ERR_AGENCY_NOT_FOUND, ERR_PACK_ROLLBACK (not newer than the latest). */
  publishPackBundle(input: PublishPackInput): Promise<PublishedPack>;
  /** The newest bundle of each pack id published for the agency. */
  latestPackBundles(agencyId: number): Promise<PublishedPack[]>;
  /** Bundles with a row id above `afterId`, oldest first (at most `limit`). */
  packBundlesAfter(afterId: number, limit: number): Promise<PublishedPack[]>;
  /** Highest row id (0 when none). */
  lastPackBundleId(): Promise<number>;
  /** The packs (id, version, digest) an agent now scans with, when its results name new ones. */
  recordAgentPacks(agentId: string, packs: PackRef[]): Promise<void>;
}
