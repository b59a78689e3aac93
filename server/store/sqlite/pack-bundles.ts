/**
 * @module SQLite side of published rule packs (table pack_bundles, migration 5): publish with its
 * audit-log entry in one transaction, newest per pack id for an agency, and the feed of new rows
 * the collector pushes to connected agents.
 */
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { compareVersions, parseBundle } from '../../../shared/pack-bundle.js';
import type { PackRef } from '../../../shared/result.js';
import type { PackBundleStore, PublishedPack, PublishPackInput } from '../pack-bundles.js';

interface Row {
  id: number;
  agency_id: number;
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

const SELECT = `SELECT p.id, p.agency_id, a.name AS agency_name, p.pack_id, p.version, p.sha256, p.key_id, p.signed_at,
  p.published_at, p.published_by, p.bundle_json FROM pack_bundles p JOIN agencies a ON a.id = p.agency_id`;

function toPublished(r: Row): PublishedPack {
  return {
    id: r.id,
    agencyId: r.agency_id,
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

export class SqlitePackBundles implements PackBundleStore {
  constructor(private readonly db: Database) {}

  async publishPackBundle(input: PublishPackInput): Promise<PublishedPack> {
    const { bundle } = input;
    const run = this.db.transaction((): number => {
      const agency = this.db.prepare('SELECT id FROM agencies WHERE name = ? OR CAST(id AS TEXT) = ?').get(input.agencyName, input.agencyName) as { id: number } | undefined;
      if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
      const versions = this.db.prepare('SELECT version FROM pack_bundles WHERE agency_id = ? AND pack_id = ?').all(agency.id, bundle.packId) as Array<{ version: string }>;
      const newest = versions.map((v) => v.version).sort(compareVersions).at(-1);
      if (newest !== undefined && compareVersions(bundle.version, newest) <= 0) {
        throw new AppError('ERR_PACK_ROLLBACK', `agency "${input.agencyName}" already has pack ${bundle.packId} ${newest}; publish a higher version than that`);
      }
      const info = this.db
        .prepare('INSERT INTO pack_bundles (agency_id, pack_id, version, sha256, key_id, signed_at, bundle_json, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(agency.id, bundle.packId, bundle.version, bundle.sha256, bundle.keyId ?? null, bundle.signedAt, JSON.stringify(bundle), input.now, input.actor);
      const after = { agency: input.agencyName, packId: bundle.packId, version: bundle.version, sha256: bundle.sha256, keyId: bundle.keyId ?? null, signedAt: bundle.signedAt };
      this.db
        .prepare('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(input.now, input.actor, 'pack.publish', 'pack', `${input.agencyName}/${bundle.packId}@${bundle.version}`, null, JSON.stringify(after));
      return Number(info.lastInsertRowid);
    });
    const id = run();
    return toPublished(this.db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as Row);
  }

  async latestPackBundles(agencyId: number): Promise<PublishedPack[]> {
    const rows = (this.db.prepare(`${SELECT} WHERE p.agency_id = ? ORDER BY p.pack_id, p.id`).all(agencyId) as Row[]).map(toPublished);
    const newest = new Map<string, PublishedPack>();
    for (const p of rows) {
      const seen = newest.get(p.packId);
      if (!seen || compareVersions(p.version, seen.version) > 0) newest.set(p.packId, p);
    }
    return [...newest.values()];
  }

  async packBundlesAfter(afterId: number, limit: number): Promise<PublishedPack[]> {
    return (this.db.prepare(`${SELECT} WHERE p.id > ? ORDER BY p.id LIMIT ?`).all(afterId, limit) as Row[]).map(toPublished);
  }

  async recordAgentPacks(agentId: string, packs: PackRef[]): Promise<void> {
    this.db.prepare('UPDATE agents SET packs = ? WHERE id = ?').run(JSON.stringify(packs), agentId);
  }

  async lastPackBundleId(): Promise<number> {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM pack_bundles').get() as { id: number }).id;
  }
}
