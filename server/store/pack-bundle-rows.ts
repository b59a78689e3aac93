/**
 * @module The pack_bundles row both stores read (the same SQL on SQLite and PostgreSQL), its mapping
 * to PublishedPack, and the version rules publishing and reading follow on either store.
 */
import { AppError } from '../../shared/errors.js';
import { compareVersions, parseBundle } from '../../shared/pack-bundle.js';
import type { PublishedPack, PublishPackInput } from './pack-bundles.js';

export interface PackBundleRow {
  /** number on SQLite; PostgreSQL may hand a bigint back as a string. */
  id: number | string;
  agency_id: number | string;
  agency_name: string;
  pack_id: string;
  version: string;
  sha256: string;
  key_id: string | null;
  signed_at: string;
  published_at: string;
  published_by: string;
  bundle_json: string;
}

export const PACK_BUNDLE_SELECT = `SELECT p.id, p.agency_id, a.name AS agency_name, p.pack_id, p.version, p.sha256, p.key_id, p.signed_at,
  p.published_at, p.published_by, p.bundle_json FROM pack_bundles p JOIN agencies a ON a.id = p.agency_id`;

export function toPublished(r: PackBundleRow): PublishedPack {
  return {
    id: Number(r.id),
    agencyId: Number(r.agency_id),
    agencyName: r.agency_name,
    packId: r.pack_id,
    version: r.version,
    sha256: r.sha256,
    keyId: r.key_id,
    signedAt: r.signed_at,
    publishedAt: r.published_at,
    publishedBy: r.published_by,
    bundle: parseBundle(r.bundle_json),
  };
}

/** Throws ERR_PACK_ROLLBACK unless the bundle is newer than every version the agency already has of its pack. */
export function assertNewerVersion(input: PublishPackInput, versions: Array<{ version: string }>): void {
  const { bundle } = input;
  const newest = versions.map((v) => v.version).sort(compareVersions).at(-1);
  if (newest !== undefined && compareVersions(bundle.version, newest) <= 0) {
    throw new AppError('ERR_PACK_ROLLBACK', `agency "${input.agencyName}" already has pack ${bundle.packId} ${newest}; publish a higher version than that`);
  }
}

/** The audit-log entry of a publish: object id and the after-image. */
export function publishAudit(input: PublishPackInput): { objectId: string; afterJson: string } {
  const { bundle } = input;
  const after = { agency: input.agencyName, packId: bundle.packId, version: bundle.version, sha256: bundle.sha256, keyId: bundle.keyId ?? null, signedAt: bundle.signedAt };
  return { objectId: `${input.agencyName}/${bundle.packId}@${bundle.version}`, afterJson: JSON.stringify(after) };
}

/** The newest version of each pack id among `rows`, in the order the pack ids first appear. */
export function newestPerPack(rows: PublishedPack[]): PublishedPack[] {
  const newest = new Map<string, PublishedPack>();
  for (const p of rows) {
    const seen = newest.get(p.packId);
    if (!seen || compareVersions(p.version, seen.version) > 0) newest.set(p.packId, p);
  }
  return [...newest.values()];
}
