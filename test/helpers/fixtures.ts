/**
 * @module Paths to the captured fixture hosts, and a ready ScanContext for one.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixtureHost } from '../../agent/host/fs-host.js';
import { createScanContext, type ScanContext } from '../../agent/engine/context.js';
import { readHostFacts } from '../../agent/engine/facts.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HOSTS_DIR = path.join(REPO_ROOT, 'test/fixtures/hosts');

export const FIXTURE_HOSTS = readdirSync(HOSTS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

export function fixtureRoot(name: string): string {
  return path.join(HOSTS_DIR, name);
}

export async function fixtureContext(name: string, options: { live?: boolean } = {}): Promise<ScanContext> {
  const host = new FixtureHost(fixtureRoot(name), options);
  return createScanContext(host, await readHostFacts(host), new Date('2026-11-26T12:00:00Z'));
}
