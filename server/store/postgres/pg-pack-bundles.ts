/**
 * @module PostgreSQL side of published rule packs (table pack_bundles, migration 5): the same
 * contract as store/sqlite/pack-bundles.ts. Publishing takes a transaction-scoped advisory lock per
 * (agency, pack) so two replicas cannot publish the same version race; the audit entry commits with it.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors.js';
import type { PackRef } from '../../../shared/result.js';
import type { PackBundleStore, PublishedPack, PublishPackInput } from '../pack-bundles.js';
import { assertNewerVersion, newestPerPack, PACK_BUNDLE_SELECT, publishAudit, toPublished, type PackBundleRow } from '../pack-bundle-rows.js';
import { inTransaction } from './pg-pool.js';

export class PgPackBundles implements PackBundleStore {
  constructor(private readonly pool: pg.Pool) {}

  async publishPackBundle(input: PublishPackInput): Promise<PublishedPack> {
    const { bundle } = input;
    const id = await inTransaction(this.pool, async (client) => {
      const agency = (await client.query<{ id: number }>('SELECT id FROM agencies WHERE name = $1 OR CAST(id AS text) = $1', [input.agencyName])).rows[0];
      if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pack:${agency.id}:${bundle.packId}`]);
      const versions = (await client.query<{ version: string }>('SELECT version FROM pack_bundles WHERE agency_id = $1 AND pack_id = $2', [agency.id, bundle.packId])).rows;
      assertNewerVersion(input, versions);
      const inserted = await client.query<{ id: number }>(
        'INSERT INTO pack_bundles (agency_id, pack_id, version, sha256, key_id, signed_at, bundle_json, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
        [agency.id, bundle.packId, bundle.version, bundle.sha256, bundle.keyId ?? null, bundle.signedAt, JSON.stringify(bundle), input.now, input.actor],
      );
      const audit = publishAudit(input);
      await client.query('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        input.now,
        input.actor,
        'pack.publish',
        'pack',
        audit.objectId,
        null,
        audit.afterJson,
      ]);
      return Number(inserted.rows[0]!.id);
    });
    return toPublished((await this.pool.query<PackBundleRow>(`${PACK_BUNDLE_SELECT} WHERE p.id = $1`, [id])).rows[0]!);
  }

  async latestPackBundles(agencyId: number): Promise<PublishedPack[]> {
    const rows = (await this.pool.query<PackBundleRow>(`${PACK_BUNDLE_SELECT} WHERE p.agency_id = $1 ORDER BY p.pack_id, p.id`, [agencyId])).rows.map(toPublished);
    return newestPerPack(rows);
  }

  async packBundlesAfter(afterId: number, limit: number): Promise<PublishedPack[]> {
    return (await this.pool.query<PackBundleRow>(`${PACK_BUNDLE_SELECT} WHERE p.id > $1 ORDER BY p.id LIMIT $2`, [afterId, limit])).rows.map(toPublished);
  }

  async lastPackBundleId(): Promise<number> {
    return Number((await this.pool.query<{ id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM pack_bundles')).rows[0]!.id);
  }

  async recordAgentPacks(agentId: string, packs: PackRef[]): Promise<void> {
    await this.pool.query('UPDATE agents SET packs = $1 WHERE id = $2', [JSON.stringify(packs), agentId]);
  }
}
