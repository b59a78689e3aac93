/**
 * @module Versioned SQLite schema migrations, applied in order inside one transaction each and
 * recorded in schema_version. Never edit a released migration: add the next one.
 */
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { WAIVERS_MIGRATION } from './migration-waivers.js';
import { DASHBOARD_MIGRATION } from './migration-dashboard.js';
import { SCAN_HISTORY_MIGRATION } from './migration-scan-history.js';
import { PACK_BUNDLES_MIGRATION } from './migration-pack-bundles.js';
import { EXPOSURE_MIGRATION } from './migration-exposure.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'agencies, identities, results, history, findings, counters',
    sql: `
CREATE TABLE agencies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  parent_id INTEGER REFERENCES agencies(id),
  created_at TEXT NOT NULL
);
CREATE INDEX agencies_parent ON agencies(parent_id);

CREATE TABLE enroll_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  agency_id INTEGER NOT NULL REFERENCES agencies(id),
  created_at TEXT NOT NULL,
  expires_at TEXT,
  uses_total INTEGER NOT NULL,
  uses_left INTEGER NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'soc', 'agency-viewer')),
  agency_id INTEGER REFERENCES agencies(id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT
);

-- key: compact integer used by the hot tables; id: the uuid agents know.
CREATE TABLE agents (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  agency_id INTEGER NOT NULL REFERENCES agencies(id),
  public_key TEXT NOT NULL,
  hostname TEXT NOT NULL,
  machine_id TEXT,
  os TEXT,
  agent_version TEXT,
  host_facts TEXT,
  packs TEXT,
  enrolled_at TEXT NOT NULL,
  revoked_at TEXT,
  last_seen_at TEXT,
  last_scan_at TEXT,
  last_scan_id TEXT,
  max_seq INTEGER NOT NULL DEFAULT 0,
  seq_count INTEGER NOT NULL DEFAULT 0,
  n_pass INTEGER NOT NULL DEFAULT 0,
  n_fail INTEGER NOT NULL DEFAULT 0,
  n_error INTEGER NOT NULL DEFAULT 0,
  n_na INTEGER NOT NULL DEFAULT 0,
  outbox_depth INTEGER,
  dropped INTEGER
);
CREATE INDEX agents_agency ON agents(agency_id, hostname);
CREATE INDEX agents_hostname ON agents(hostname);
CREATE INDEX agents_revoked ON agents(revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE challenges (
  nonce TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX challenges_expiry ON challenges(expires_at);

-- Every committed (agent, seq): idempotency and the "no gaps" proof.
CREATE TABLE received_seqs (
  agent_key INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (agent_key, seq)
) WITHOUT ROWID;

CREATE TABLE rules (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  pack_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity TEXT NOT NULL,
  clock_days INTEGER,
  clock_directive TEXT,
  directives TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL
);
CREATE TABLE rule_directives (
  directive TEXT NOT NULL,
  rule_key INTEGER NOT NULL,
  PRIMARY KEY (directive, rule_key)
) WITHOUT ROWID;

-- Current state: one row per (agent, rule).
CREATE TABLE results (
  agent_key INTEGER NOT NULL,
  rule_key INTEGER NOT NULL,
  status TEXT NOT NULL,
  -- status before the last write (lets one upsert report the transition)
  prev_status TEXT,
  seq INTEGER NOT NULL,
  scan_id TEXT NOT NULL,
  scanned_at TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (agent_key, rule_key)
);

-- One row per status change (not per frame).
CREATE TABLE status_history (
  id INTEGER PRIMARY KEY,
  agent_key INTEGER NOT NULL,
  rule_key INTEGER NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  at TEXT NOT NULL,
  seq INTEGER NOT NULL
);
CREATE INDEX status_history_agent ON status_history(agent_key, id);

CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL,
  agent_key INTEGER NOT NULL,
  rule_key INTEGER NOT NULL,
  first_seen_at TEXT NOT NULL,
  due_at TEXT,
  directive TEXT,
  resolved_at TEXT
);
CREATE UNIQUE INDEX findings_open_one ON findings(agent_key, rule_key) WHERE resolved_at IS NULL;
CREATE INDEX findings_open_due ON findings(agency_id, due_at) WHERE resolved_at IS NULL;
CREATE INDEX findings_agency ON findings(agency_id, id);

-- Maintained counters: posture never scans results.
CREATE TABLE agency_rule_counts (
  agency_id INTEGER NOT NULL,
  rule_key INTEGER NOT NULL,
  n_pass INTEGER NOT NULL DEFAULT 0,
  n_fail INTEGER NOT NULL DEFAULT 0,
  n_error INTEGER NOT NULL DEFAULT 0,
  n_na INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (agency_id, rule_key)
) WITHOUT ROWID;
`,
  },
  WAIVERS_MIGRATION,
  DASHBOARD_MIGRATION,
  SCAN_HISTORY_MIGRATION,
  PACK_BUNDLES_MIGRATION,
  EXPOSURE_MIGRATION,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Apply every migration newer than the recorded version, in order; refuse a newer database. */
export function migrate(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version').get() as { v: number }).v;
  if (current > LATEST_SCHEMA_VERSION) {
    throw new AppError('ERR_STORE_MIGRATION', `database schema version ${current} is newer than this build (${LATEST_SCHEMA_VERSION})`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      }).immediate();
    } catch (err) {
      throw new AppError('ERR_STORE_MIGRATION', `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return LATEST_SCHEMA_VERSION;
}
