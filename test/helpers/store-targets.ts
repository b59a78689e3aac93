/**
 * @module Where a test keeps its data, once per store: a temp SQLite data directory, or a fresh
 * schema on the real PostgreSQL (127.0.0.1:5432). Each target opens Store objects, gives the CLI
 * flags and the collector settings for the same storage, and cleans up. PostgreSQL targets exist
 * only when the server answers; `expectPgReachable()` makes that a failing test (never a silent skip).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { openPostgresStore, type PostgresStore } from '../../server/store/postgres/pg-store.js';
import type { Store } from '../../server/store/store.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from './pg-schema.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface StoreTarget {
  kind: StoreKind;
  /** SQLite or PostgreSQL, for test names. */
  name: string;
  /** A data directory (always: a PostgreSQL collector must leave it empty). */
  dataDir: string;
  /** Collector settings (loadServerConfig input) for this storage. */
  config: { dataDir: string; databaseUrl?: string; databaseSchema?: string };
  /** `rampart server ...` / `rampart report` flags (besides --data-dir) and environment for this storage. */
  argv: string[];
  env: Record<string, string>;
  /** Open a Store on it (migrated); the caller closes it. */
  open(): Promise<Store>;
  /** Remove the directory and drop the schema. */
  dispose(): Promise<void>;
}

export const PG_REACHABLE = await pgReachable();

/** The stores to run a suite on: SQLite always, PostgreSQL when it answers. */
export const STORE_KINDS: StoreKind[] = PG_REACHABLE ? ['sqlite', 'postgres'] : ['sqlite'];

/** One test that fails when PostgreSQL is down (unless RAMPART_SKIP_PG=1 outside CI), so the PostgreSQL half is never skipped silently. */
export function expectPgReachable(): void {
  it('has PostgreSQL at 127.0.0.1:5432 for the PostgreSQL half (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!PG_REACHABLE && pgSkipAllowed()) return;
    expect(PG_REACHABLE, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
}

export function newStoreTarget(kind: StoreKind): StoreTarget {
  const dataDir = mkdtempSync(path.join(tmpdir(), `rampart-${kind}-`));
  if (kind === 'sqlite') {
    return {
      kind,
      name: 'SQLite',
      dataDir,
      config: { dataDir },
      argv: [],
      env: {},
      open: () => openSqliteStore(dataDir),
      dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = newSchemaName();
  return {
    kind,
    name: 'PostgreSQL',
    dataDir,
    config: { dataDir, databaseUrl: TEST_PG_URL, databaseSchema: schema },
    argv: ['--database', TEST_PG_URL],
    env: { RAMPART_DATABASE_SCHEMA: schema },
    open: () => openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 4 }),
    dispose: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
}

/** Run one SQL statement on the store's own connection, bypassing the Store (tests of triggers and constraints). */
export async function rawSql(store: Store, sql: string): Promise<void> {
  if (store.kind === 'sqlite') (store as SqliteStore).db.prepare(sql).run();
  else await (store as PostgresStore).pool.query(sql);
}
