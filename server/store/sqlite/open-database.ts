/**
 * @module Open (or create) the collector's SQLite file with the pragmas Rampart relies on:
 * WAL, a busy timeout for CLI commands sharing the file, NORMAL sync (durable at each WAL commit
 * under WAL except on power loss of the OS), foreign keys.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';

export const DB_FILE_NAME = 'rampart.db';

export interface OpenOptions {
  busyTimeoutMs?: number;
  /** FULL fsyncs the WAL on every commit (survives power loss); NORMAL survives process crashes. */
  synchronous?: 'NORMAL' | 'FULL';
  /** Long-running collector: checkpoint the WAL in a worker thread instead of on commit. */
  backgroundCheckpoints?: boolean;
}

export function openDatabase(dataDir: string, options: OpenOptions = {}): Database {
  const file = path.join(dataDir, DB_FILE_NAME);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -16000');
    db.pragma('temp_store = MEMORY');
    return db;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('ERR_STORE_OPEN', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
}
