import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { openPostgresStore } from '../../server/store/postgres/pg-store.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../helpers/pg-schema.js';
import { runStoreContract, type StoreContractOptions } from './store-contract.case.js';
import { runTierContract } from './store-contract-tiers.case.js';
import { runAsOfContract } from './store-contract-as-of.case.js';

const sqlite: StoreContractOptions = {
  name: 'SQLite',
  async newStore() {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-contract-'));
    const store = await openSqliteStore(dir);
    return { store, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

runStoreContract(sqlite);
runTierContract(sqlite);
runAsOfContract(sqlite);

const reachable = await pgReachable();

describe('PostgreSQL test server', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

if (reachable) {
  const postgres: StoreContractOptions = {
    name: 'PostgreSQL',
    async newStore() {
      const schema = newSchemaName();
      const store = await openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 4 });
      return { store, dispose: () => dropSchema(schema) };
    },
  };
  runStoreContract(postgres);
  runTierContract(postgres);
  runAsOfContract(postgres);
}

describe('schema versions', () => {
  it('numbers PostgreSQL migrations exactly like SQLite ones (same versions, same names)', async () => {
    const { MIGRATIONS } = await import('../../server/store/sqlite/migrations.js');
    const { PG_MIGRATIONS } = await import('../../server/store/postgres/migrations.js');
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });
});
