import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { DB_FILE_NAME } from '../../../server/store/sqlite/open-database.js';
import { openSqliteStore } from '../../../server/store/sqlite/sqlite-store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'rampart-mig-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite migrations', () => {
  it('creates the data directory and applies every migration in order on a new file', async () => {
    const dir = path.join(tmp(), 'nested', 'server');
    const store = await openSqliteStore(dir);
    const rows = store.db.prepare('SELECT version FROM schema_version ORDER BY version').all() as Array<{ version: number }>;
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    await store.close();
  });

  it('keeps data and applies nothing twice when the same file is opened again', async () => {
    const dir = tmp();
    const first = await openSqliteStore(dir);
    await first.createAgency('dhs');
    await first.close();
    const second = await openSqliteStore(dir);
    expect(await second.migrate()).toBe(LATEST_SCHEMA_VERSION);
    expect((second.db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n).toBe(MIGRATIONS.length);
    expect((await second.listAgencies()).map((a) => a.name)).toEqual(['dhs']);
    await second.close();
  });

  it('refuses a database written by a newer schema with ERR_STORE_MIGRATION', async () => {
    const dir = tmp();
    (await openSqliteStore(dir)).close();
    const raw = new BetterSqlite3(path.join(dir, DB_FILE_NAME));
    raw.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST_SCHEMA_VERSION + 1, 'future', new Date().toISOString());
    raw.close();
    await expect(openSqliteStore(dir)).rejects.toMatchObject({ code: 'ERR_STORE_MIGRATION' });
  });

  it('reports ERR_STORE_OPEN when the data directory cannot be created', async () => {
    const file = path.join(tmp(), 'a-file');
    (await import('node:fs')).writeFileSync(file, 'x');
    await expect(openSqliteStore(path.join(file, 'sub'))).rejects.toMatchObject({ code: 'ERR_STORE_OPEN' });
  });
});
