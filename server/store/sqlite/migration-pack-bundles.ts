/**
 * @module Migration 5: signed rule pack bundles published for an agency (`rampart server pack
 * publish`). Append-only: a new version is a new row; agents receive the newest per pack id.
 */
import type { Migration } from './migrations.js';

export const PACK_BUNDLES_MIGRATION: Migration = {
  version: 5,
  name: 'signed rule pack bundles per agency',
  sql: `
CREATE TABLE pack_bundles (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES agencies(id),
  pack_id TEXT NOT NULL,
  version TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  key_id TEXT,
  signed_at TEXT NOT NULL,
  bundle_json TEXT NOT NULL,
  published_at TEXT NOT NULL,
  published_by TEXT NOT NULL,
  UNIQUE (agency_id, pack_id, version)
);
CREATE INDEX pack_bundles_agency ON pack_bundles(agency_id, pack_id, id);
`,
};
