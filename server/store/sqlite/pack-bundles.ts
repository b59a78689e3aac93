/**
 * @module SQLite side of published rule packs (table pack_bundles, migration 5): publish with its
 * audit-log entry in one transaction, newest per pack id for an agency, and the feed of new rows
 * the collector pushes to connected agents.
 */
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { PackRef } from '../../../shared/result.js';
import type { PackBundleStore, PublishedPack, PublishPackInput } from '../pack-bundles.js';
import { assertNewerVersion, newestPerPack, PACK_BUNDLE_SELECT, publishAudit, toPublished, type PackBundleRow } from '../pack-bundle-rows.js';

export class SqlitePackBundles implements PackBundleStore {
  constructor(private readonly db: Database) {}

  async publishPackBundle(input: PublishPackInput): Promise<PublishedPack> {
    const { bundle } = input;
    const run = this.db.transaction((): number => {
      const agency = this.db.prepare('SELECT id FROM agencies WHERE name = ? OR CAST(id AS TEXT) = ?').get(input.agencyName, input.agencyName) as { id: number } | undefined;
      if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
      const versions = this.db.prepare('SELECT version FROM pack_bundles WHERE agency_id = ? AND pack_id = ?').all(agency.id, bundle.packId) as Array<{ version: string }>;
      assertNewerVersion(input, versions);
      const info = this.db
        .prepare('INSERT INTO pack_bundles (agency_id, pack_id, version, sha256, key_id, signed_at, bundle_json, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(agency.id, bundle.packId, bundle.version, bundle.sha256, bundle.keyId ?? null, bundle.signedAt, JSON.stringify(bundle), input.now, input.actor);
      const audit = publishAudit(input);
      this.db
        .prepare('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(input.now, input.actor, 'pack.publish', 'pack', audit.objectId, null, audit.afterJson);
      return Number(info.lastInsertRowid);
    });
    const id = run();
    return toPublished(this.db.prepare(`${PACK_BUNDLE_SELECT} WHERE p.id = ?`).get(id) as PackBundleRow);
  }

  async latestPackBundles(agencyId: number): Promise<PublishedPack[]> {
    const rows = (this.db.prepare(`${PACK_BUNDLE_SELECT} WHERE p.agency_id = ? ORDER BY p.pack_id, p.id`).all(agencyId) as PackBundleRow[]).map(toPublished);
    return newestPerPack(rows);
  }

  async packBundlesAfter(afterId: number, limit: number): Promise<PublishedPack[]> {
    return (this.db.prepare(`${PACK_BUNDLE_SELECT} WHERE p.id > ? ORDER BY p.id LIMIT ?`).all(afterId, limit) as PackBundleRow[]).map(toPublished);
  }

  async recordAgentPacks(agentId: string, packs: PackRef[]): Promise<void> {
    this.db.prepare('UPDATE agents SET packs = ? WHERE id = ?').run(JSON.stringify(packs), agentId);
  }

  async lastPackBundleId(): Promise<number> {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM pack_bundles').get() as { id: number }).id;
  }
}
