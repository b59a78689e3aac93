/**
 * @module PostgreSQL side of published rule packs (table pack_bundles, migration 5): the same
 * contract as store/sqlite/pack-bundles.ts. Publishing takes a transaction-scoped advisory lock per
 * (agency, pack) so two replicas cannot publish the same version race; the audit entry commits with it.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors.js';
import { compareVersions, parseBundle } from '../../../shared/pack-bundle.js';
import type { PackRef } from '../../../shared/result.js';
import type { PackBundleStore, PublishedPack, PublishPackInput } from '../pack-bundles.js';
import { inTransaction } from './pg-pool.js';

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

export class PgPackBundles implements PackBundleStore {
  constructor(private readonly pool: pg.Pool) {}

  async publishPackBundle(input: PublishPackInput): Promise<PublishedPack> {
    const { bundle } = input;
    const id = await inTransaction(this.pool, async (client) => {
      const agency = (await client.query<{ id: number }>('SELECT id FROM agencies WHERE name = $1 OR CAST(id AS text) = $1', [input.agencyName])).rows[0];
      if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pack:${agency.id}:${bundle.packId}`]);
      const versions = (await client.query<{ version: string }>('SELECT version FROM pack_bundles WHERE agency_id = $1 AND pack_id = $2', [agency.id, bundle.packId])).rows;
      const newest = versions.map((v) => v.version).sort(compareVersions).at(-1);
      if (newest !== undefined && compareVersions(bundle.version, newest) <= 0) {
        throw new AppError('ERR_PACK_ROLLBACK', `agency "${input.agencyName}" already has pack ${bundle.packId} ${newest}; publish a higher version than that`);
      }
      const inserted = await client.query<{ id: number }>(
        'INSERT INTO pack_bundles (agency_id, pack_id, version, sha256, key_id, signed_at, bundle_json, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
        [agency.id, bundle.packId, bundle.version, bundle.sha256, bundle.keyId ?? null, bundle.signedAt, JSON.stringify(bundle), input.now, input.actor],
      );
      const after = { agency: input.agencyName, packId: bundle.packId, version: bundle.version, sha256: bundle.sha256, keyId: bundle.keyId ?? null, signedAt: bundle.signedAt };
      await client.query('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        input.now,
        input.actor,
        'pack.publish',
        'pack',
        `${input.agencyName}/${bundle.packId}@${bundle.version}`,
        null,
        JSON.stringify(after),
      ]);
      return Number(inserted.rows[0]!.id);
    });
    return toPublished((await this.pool.query<Row>(`${SELECT} WHERE p.id = $1`, [id])).rows[0]!);
  }

  async latestPackBundles(agencyId: number): Promise<PublishedPack[]> {
    const rows = (await this.pool.query<Row>(`${SELECT} WHERE p.agency_id = $1 ORDER BY p.pack_id, p.id`, [agencyId])).rows.map(toPublished);
    const newest = new Map<string, PublishedPack>();
    for (const p of rows) {
      const seen = newest.get(p.packId);
      if (!seen || compareVersions(p.version, seen.version) > 0) newest.set(p.packId, p);
    }
    return [...newest.values()];
  }

  async packBundlesAfter(afterId: number, limit: number): Promise<PublishedPack[]> {
    return (await this.pool.query<Row>(`${SELECT} WHERE p.id > $1 ORDER BY p.id LIMIT $2`, [afterId, limit])).rows.map(toPublished);
  }

  async lastPackBundleId(): Promise<number> {
    return Number((await this.pool.query<{ id: number }>('SELECT COALESCE(MAX(id), 0) AS id FROM pack_bundles')).rows[0]!.id);
  }

  async recordAgentPacks(agentId: string, packs: PackRef[]): Promise<void> {
    await this.pool.query('UPDATE agents SET packs = $1 WHERE id = $2', [JSON.stringify(packs), agentId]);
  }
}
