/**
 * @module Migration 4: scan history, one row per (host, scan). Every scan sends at least one results
 * frame (possibly empty), so this proves when each host was assessed: the evidence of cadence
 * obligations such as BOD 23-01 (every host enumerated at least every 14 days).
 */
import type { Migration } from './migrations.js';

export const SCAN_HISTORY_MIGRATION: Migration = {
  version: 4,
  name: 'scan history per host (assessment cadence evidence)',
  sql: `
CREATE TABLE host_scans (
  agent_key INTEGER NOT NULL,
  scan_id TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  PRIMARY KEY (agent_key, scan_id)
) WITHOUT ROWID;
CREATE INDEX host_scans_time ON host_scans(agent_key, scanned_at);
-- What earlier versions kept: the scans that current results and agents still name.
INSERT OR IGNORE INTO host_scans (agent_key, scan_id, scanned_at)
  SELECT agent_key, scan_id, MIN(scanned_at) FROM results GROUP BY agent_key, scan_id;
INSERT OR IGNORE INTO host_scans (agent_key, scan_id, scanned_at)
  SELECT key, last_scan_id, last_scan_at FROM agents WHERE last_scan_id IS NOT NULL AND last_scan_at IS NOT NULL;
`,
};
