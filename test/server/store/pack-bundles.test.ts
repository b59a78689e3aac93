import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unsignedBundle } from '../../../shared/pack-bundle.js';
import { openSqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { openPostgresStore } from '../../../server/store/postgres/pg-store.js';
import type { Store } from '../../../server/store/store.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../../helpers/pg-schema.js';

const reachable = await pgReachable();

function bundle(packId: string, version: string) {
  return unsignedBundle({ pack: `pack:\n  id: ${packId}\n  version: ${version}\n`, packId, version });
}

interface Case {
  name: string;
  open(): Promise<{ store: Store; dispose(): Promise<void>; auditRows(): Promise<Array<{ actor: string; action: string; object_id: string }>> }>;
}

const cases: Case[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = mkdtempSync(path.join(tmpdir(), 'rampart-packs-'));
      const store = await openSqliteStore(dir);
      return {
        store,
        auditRows: async () => store.db.prepare("SELECT actor, action, object_id FROM audit_log WHERE action = 'pack.publish' ORDER BY id").all() as Array<{ actor: string; action: string; object_id: string }>,
        dispose: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];
if (reachable) {
  cases.push({
    name: 'PostgreSQL',
    async open() {
      const schema = newSchemaName();
      const store = await openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 2 });
      return {
        store,
        auditRows: async () => (await store.pool.query("SELECT actor, action, object_id FROM audit_log WHERE action = 'pack.publish' ORDER BY id")).rows,
        dispose: async () => {
          await store.close();
          await dropSchema(schema);
        },
      };
    },
  });
}

describe('PostgreSQL test server for pack bundles', () => {
  it('is reachable (RAMPART_SKIP_PG=1 skips locally; never in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

for (const c of cases) {
  describe(`published rule packs on ${c.name}`, () => {
    it('stores bundles per agency, refuses versions that do not go up, and audits every publication', async () => {
      const { store, dispose, auditRows } = await c.open();
      try {
        const packs = store.packs!;
        const dhs = await store.createAgency('dhs');
        const doe = await store.createAgency('doe');
        const before = await packs.lastPackBundleId();
        const now = new Date().toISOString();
        const p1 = await packs.publishPackBundle({ agencyName: 'dhs', bundle: bundle('alpha', '1.0.0'), actor: 'cli:alice', now });
        await packs.publishPackBundle({ agencyName: 'dhs', bundle: bundle('alpha', '1.2.0'), actor: 'cli:alice', now });
        await packs.publishPackBundle({ agencyName: 'dhs', bundle: bundle('beta', '0.1.0'), actor: 'cli:bob', now });
        await packs.publishPackBundle({ agencyName: 'doe', bundle: bundle('alpha', '9.0.0'), actor: 'cli:bob', now });
        await expect(packs.publishPackBundle({ agencyName: 'dhs', bundle: bundle('alpha', '1.1.0'), actor: 'x', now })).rejects.toMatchObject({ code: 'ERR_PACK_ROLLBACK' });
        await expect(packs.publishPackBundle({ agencyName: 'dhs', bundle: bundle('alpha', '1.2.0'), actor: 'x', now })).rejects.toMatchObject({ code: 'ERR_PACK_ROLLBACK' });
        await expect(packs.publishPackBundle({ agencyName: 'nasa', bundle: bundle('alpha', '1.0.0'), actor: 'x', now })).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });

        expect(p1).toMatchObject({ agencyId: dhs.id, agencyName: 'dhs', packId: 'alpha', version: '1.0.0', keyId: null, publishedBy: 'cli:alice' });
        expect(p1.bundle.sha256).toBe(bundle('alpha', '1.0.0').sha256);
        const latest = (await packs.latestPackBundles(dhs.id)).map((p) => [p.packId, p.version]).sort();
        expect(latest).toEqual([['alpha', '1.2.0'], ['beta', '0.1.0']]);
        expect((await packs.latestPackBundles(doe.id)).map((p) => p.version)).toEqual(['9.0.0']);
        const after = await packs.packBundlesAfter(before, 100);
        expect(after.map((p) => `${p.agencyName}/${p.packId}@${p.version}`)).toEqual(['dhs/alpha@1.0.0', 'dhs/alpha@1.2.0', 'dhs/beta@0.1.0', 'doe/alpha@9.0.0']);
        expect(await packs.lastPackBundleId()).toBe(after.at(-1)!.id);
        expect(await packs.packBundlesAfter(after.at(-1)!.id, 100)).toEqual([]);
        expect((await auditRows()).map((r) => `${r.actor} ${r.object_id}`)).toEqual(['cli:alice dhs/alpha@1.0.0', 'cli:alice dhs/alpha@1.2.0', 'cli:bob dhs/beta@0.1.0', 'cli:bob doe/alpha@9.0.0']);
      } finally {
        await dispose();
      }
    });
  });
}
