/**
 * @module The store factory: SQLite in the data directory by default, PostgreSQL when the config
 * names a database URL (`--database postgres://...` / RAMPART_DATABASE_URL). The PostgreSQL
 * driver is loaded only then, so SQLite deployments and `rampart scan` never load `pg`.
 */
import type { ServerConfig } from '../config.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Long-running collector (SQLite: WAL checkpoints in a worker thread; PostgreSQL: full pool). */
  collector?: boolean;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/** Open the configured store and bring its schema up to date. */
export async function openStore(config: ServerConfig, options: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(config.databaseUrl)) {
    const { openPostgresStore } = await import('./postgres/pg-store.js');
    return openPostgresStore({
      url: config.databaseUrl,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
      poolSize: options.collector ? config.databasePoolSize : 2,
    });
  }
  const { openSqliteStore } = await import('./sqlite/sqlite-store.js');
  return openSqliteStore(config.dataDir, {
    busyTimeoutMs: config.busyTimeoutMs,
    ...(options.collector ? { synchronous: config.sqliteSync, backgroundCheckpoints: true } : {}),
  });
}
