/**
 * @module Migration 6: the administrator's exposure tag per host (BOD 26-04 asset tagging; NULL =
 * unset, treated as exposed) and the BOD 26-04 Table 1 tier of each finding (tier id, forensic
 * triage, and the decision with its inputs as JSON, so a tag change can re-tier open findings).
 */
import type { Migration } from './migrations.js';

export const EXPOSURE_MIGRATION: Migration = {
  version: 6,
  name: 'host exposure tags and BOD 26-04 tiers on findings',
  sql: `
ALTER TABLE agents ADD COLUMN exposure TEXT CHECK (exposure IN ('internet', 'internal'));
ALTER TABLE findings ADD COLUMN tier TEXT;
ALTER TABLE findings ADD COLUMN forensic_triage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN tier_decision TEXT;
`,
};
