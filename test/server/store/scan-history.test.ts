/**
 * Migration 4 (scan history) on a database written before it: the scans that current results and
 * agents still name are backfilled, and new scans are recorded from then on.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { DB_FILE_NAME } from '../../../server/store/sqlite/open-database.js';
import { openSqliteStore } from '../../../server/store/sqlite/sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('scan history migration', () => {
  it('backfills the scans an older database still names, then records new ones', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-scan-history-'));
    dirs.push(dir);
    mkdirSync(dir, { recursive: true });
    const raw = new BetterSqlite3(path.join(dir, DB_FILE_NAME));
    raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const m of MIGRATIONS.filter((x) => x.version < 4)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, '2026-11-01T00:00:00.000Z');
    }
    raw.prepare("INSERT INTO agencies (id, name, created_at) VALUES (1, 'dhs', '2026-11-01T00:00:00.000Z')").run();
    raw
      .prepare("INSERT INTO agents (key, id, agency_id, public_key, hostname, enrolled_at, last_scan_id, last_scan_at) VALUES (7, 'a-1', 1, 'k', 'web-1', '2026-11-01T00:00:00.000Z', 'scan-b', '2026-11-09T00:00:00.000Z')")
      .run();
    raw.prepare("INSERT INTO rules (key, id, pack_id, title, severity, updated_at) VALUES (1, 'linux.a.one', 'p', 't', 'low', '2026-11-01T00:00:00.000Z')").run();
    raw
      .prepare("INSERT INTO results (agent_key, rule_key, status, seq, scan_id, scanned_at, changed_at, body) VALUES (7, 1, 'pass', 1, 'scan-a', '2026-11-02T00:00:00.000Z', '2026-11-02T00:00:00.000Z', '{}')")
      .run();
    raw.close();

    const store = await openSqliteStore(dir);
    try {
      const rows = store.db.prepare('SELECT scan_id, scanned_at FROM host_scans WHERE agent_key = 7 ORDER BY scanned_at').all();
      expect(rows).toEqual([
        { scan_id: 'scan-a', scanned_at: '2026-11-02T00:00:00.000Z' },
        { scan_id: 'scan-b', scanned_at: '2026-11-09T00:00:00.000Z' },
      ]);
      await store.ingest([
        { agentId: 'a-1', agencyId: 1, receivedAt: '2026-11-16T00:00:00.000Z', frame: { v: 1, type: 'results', seq: 2, scanId: 'scan-c', scannedAt: '2026-11-16T00:00:00.000Z', packs: [], full: false, results: [] } },
      ]);
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM host_scans WHERE agent_key = 7').get() as { n: number }).n).toBe(3);
    } finally {
      await store.close();
    }
  });
});
