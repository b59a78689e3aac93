/**
 * @module The PostgreSQL connection pool of one collector process: `pg` with 64-bit integers and
 * numerics read as JS numbers (counts, seqs and sums stay below 2^53), an optional schema put first
 * on every connection's search_path (tests and several deployments on one database), and the
 * transaction helper every multi-statement write goes through. Connections pipeline (pg
 * `pipeline: true`): a query is written at once, not after the previous one's answer, so BEGIN
 * travels with a transaction's first statement and COMMIT can follow its last (queryThenCommit).
 */
import pg from 'pg';
import { AppError } from '../../../shared/errors.js';

export interface PgOptions {
  /** postgres://user@host:port/database (libpq-style URL). */
  url: string;
  /** Schema holding Rampart's tables (created if missing); default: the server's search_path (public). */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Statement timeout in ms (default 60 s): a stuck query fails its batch instead of hanging acks. */
  statementTimeoutMs?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Per-pool type parsers (never the global pg.types: other code in the process keeps its defaults). */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A URL with its password masked, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export function createPool(options: PgOptions): pg.Pool {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new AppError('ERR_CONFIG_INVALID', `database schema "${options.schema}" must be lower-case letters, digits and _`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: TYPES as pg.CustomTypesConfig,
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    application_name: 'rampart-collector',
    pipeline: true,
    ...(options.schema ? { options: `-c search_path=${options.schema},public` } : {}),
  });
  // An idle connection dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

/** Connect once (creating the schema when named) so a bad URL fails at start with ERR_STORE_OPEN. */
export async function checkPool(pool: pg.Pool, options: PgOptions): Promise<void> {
  try {
    const client = await pool.connect();
    try {
      if (options.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
    } finally {
      client.release();
    }
  } catch (err) {
    throw new AppError('ERR_STORE_OPEN', `cannot open PostgreSQL at ${redactUrl(options.url)}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Run fn in one transaction on one pooled connection: COMMIT on success (unless fn already ended
 * it with queryThenCommit), ROLLBACK on any error. BEGIN is not awaited before fn runs: it goes
 * out with fn's first statement, one round trip fewer (a failed BEGIN is thrown before COMMIT).
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const begin = client.query('BEGIN');
    begin.catch(() => {});
    try {
      const out = await fn(client);
      await begin;
      if (client.getTransactionStatus() !== 'I') await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    client.release();
  }
}

/**
 * The last statement of a transaction, with COMMIT written right behind it (the connection
 * pipelines): PostgreSQL commits as soon as the statement has run and releases its row locks then
 * — not after this process has read the answer and sent COMMIT, which on a busy collector waits
 * for the event loop while other transactions queue on the same hot rows. If the statement fails,
 * PostgreSQL turns the COMMIT into a rollback and the statement's error is thrown. `name` makes it
 * a prepared statement (parsed and planned once per connection).
 */
export async function queryThenCommit<R extends pg.QueryResultRow>(client: pg.PoolClient, sql: string, values: unknown[], name?: string): Promise<pg.QueryResult<R>> {
  const last = client.query<R>(name ? { name, text: sql, values } : { text: sql, values });
  const commit = client.query('COMMIT');
  const [result, ended] = await Promise.all([last, commit]);
  if (ended.command !== 'COMMIT') throw new AppError('ERR_STORE_WRITE', `the transaction was rolled back (${ended.command}) instead of committed`);
  return result;
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}
