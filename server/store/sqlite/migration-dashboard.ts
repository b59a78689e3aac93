/**
 * @module Migration 3 (dashboard): a daily posture snapshot per agency (the overview's trend),
 * and the indexes behind the rule view (hosts by rule and status, longest-standing first) and
 * the online/offline host filter.
 */
import type { Migration } from './migrations.js';

export const DASHBOARD_MIGRATION: Migration = {
  version: 3,
  name: 'dashboard: daily posture per agency, rule-status and last-seen indexes',
  sql: `
-- One row per agency and UTC day: the agency's OWN severity-weighted sums (components roll up by
-- summing rows of the subtree). Today's row is upserted from the maintained counters.
CREATE TABLE posture_daily (
  agency_id INTEGER NOT NULL,
  day TEXT NOT NULL,
  won REAL NOT NULL,
  possible REAL NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (agency_id, day)
) WITHOUT ROWID;
CREATE INDEX posture_daily_day ON posture_daily(day);

-- Rule view: hosts of a rule in a status, by when they entered it.
CREATE INDEX results_rule_status ON results(rule_key, status, changed_at);
-- Online/offline filter and counts per agency; the offline sweep (last seen crossing the limit).
CREATE INDEX agents_agency_seen ON agents(agency_id, last_seen_at);
CREATE INDEX agents_seen ON agents(last_seen_at) WHERE revoked_at IS NULL;
`,
};
