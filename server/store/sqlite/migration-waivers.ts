/**
 * @module Migration 2: waivers (scoped to a host, a set of hosts or an agency) and the
 * append-only audit log. Triggers make the audit log refuse UPDATE and DELETE.
 */
import type { Migration } from './migrations.js';

export const WAIVERS_MIGRATION: Migration = {
  version: 2,
  name: 'waivers and the append-only audit log',
  sql: `
CREATE TABLE waivers (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES agencies(id),
  rule_id TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('host', 'host-set', 'agency')),
  justification TEXT NOT NULL,
  approver TEXT NOT NULL,
  risk TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'critical')),
  starts_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT,
  removed_at TEXT,
  removed_by TEXT,
  CHECK (expires_at > starts_at)
);
CREATE INDEX waivers_agency_rule ON waivers(agency_id, rule_id);

CREATE TABLE waiver_hosts (
  waiver_id INTEGER NOT NULL REFERENCES waivers(id),
  agent_id TEXT NOT NULL REFERENCES agents(id),
  PRIMARY KEY (waiver_id, agent_id)
) WITHOUT ROWID;
CREATE INDEX waiver_hosts_agent ON waiver_hosts(agent_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
};
