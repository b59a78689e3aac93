/**
 * @module Tests on the real PostgreSQL (127.0.0.1:5432, trust auth, database `test`): each run gets
 * its own fresh schema (rampart_test_<random>) dropped afterwards, so parallel runs never collide.
 * When the server is unreachable the test fails, unless RAMPART_SKIP_PG=1 is set locally (never in
 * CI): no silent skips.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_PG_URL = process.env.RAMPART_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when PostgreSQL tests may be skipped (local runs with RAMPART_SKIP_PG=1 only). */
export function pgSkipAllowed(): boolean {
  return process.env.RAMPART_SKIP_PG === '1' && process.env.CI !== 'true';
}

/** Probe the server; throws with a clear message when unreachable. */
export async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export function newSchemaName(): string {
  return `rampart_test_${randomBytes(6).toString('hex')}`;
}

/** Drop a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^rampart_test_[0-9a-f]+$/.test(schema)) throw new Error(`refusing to drop ${schema}`);
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
