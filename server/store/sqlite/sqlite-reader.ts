/**
 * @module The SqlReader (store/sql-reader.ts) on the collector's SQLite database: prepared
 * statements, cached by their text. Each call runs synchronously and resolves at once.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { SqlReader } from '../sql-reader.js';

/** Enough for the fixed statements plus IN lists of a few lengths; a full cache starts over. */
const MAX_CACHED = 256;

export function sqliteReader(db: Database): SqlReader {
  const cache = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= MAX_CACHED) cache.clear();
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  const reader: SqlReader = {
    async all<T>(sql: string, args: readonly unknown[] = []) {
      return prepare(sql).all(...args) as T[];
    },
    async get<T>(sql: string, args: readonly unknown[] = []) {
      return prepare(sql).get(...args) as T | undefined;
    },
    snapshot: (fn) => fn(reader),
  };
  return reader;
}
