/**
 * @module A collector with realistic demo data for screenshots and the dashboard bench: a fresh
 * data directory, the dashboard built privately, the store seeded (bench/dashboard/seed.ts)
 * before the collector starts, and API tokens for each role.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { silentLogger } from '../../shared/log.js';
import { loadServerConfig } from '../../server/config.js';
import { startCollector, type Collector } from '../../server/main.js';
import { DB_FILE_NAME } from '../../server/store/sqlite/open-database.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { Role } from '../../server/store/store.js';
import { API_TOKEN_PREFIX, generateToken, hashToken } from '../../server/tokens.js';
import { buildDashboard } from '../../test/helpers/dashboard-build.js';
import { fixtureReports, seedDashboard, type AgencySpec, type SeededHost } from './seed.js';

export interface DemoCollector {
  collector: Collector;
  hosts: SeededHost[];
  tokens: Record<string, string>;
  seedMs: number;
  close(): Promise<void>;
}

/** A built CLI for scanning the fixtures: dist/rampart.js, else a private tsup build. */
export function cliPath(repo: string): string {
  const dist = path.join(repo, 'dist/rampart.js');
  if (existsSync(dist)) return dist;
  const out = path.join(repo, 'node_modules/.cache/rampart-dash/build');
  if (!existsSync(path.join(out, 'rampart.js'))) {
    const r = spawnSync(path.join(repo, 'node_modules/.bin/tsup'), ['--out-dir', out], { cwd: repo, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('tsup failed');
  }
  return path.join(out, 'rampart.js');
}

/**
 * Seeding thousands of hosts takes minutes on a loaded machine: with `reuseKey`, the seeded
 * database is kept in node_modules/.cache and copied for later runs (same agencies and sizes).
 */
export async function startDemoCollector(
  repo: string,
  agencies: AgencySpec[],
  users: Array<{ name: string; role: Role; agency?: string }>,
  rulesPerHost = 100,
  reuseKey?: string,
): Promise<DemoCollector> {
  const cache = path.join(repo, 'node_modules/.cache/rampart-dash');
  mkdirSync(path.join(cache, 'reports'), { recursive: true });
  const dashboardDir = await buildDashboard(path.join(cache, `dashboard-${process.pid}`));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rampart-dash-demo-'));
  const saved = reuseKey ? path.join(cache, `seeded-${reuseKey}`) : undefined;
  let hosts: SeededHost[];
  let seedMs = 0;
  if (saved && existsSync(path.join(saved, 'hosts.json'))) {
    cpSync(path.join(saved, DB_FILE_NAME), path.join(dataDir, DB_FILE_NAME));
    hosts = JSON.parse(readFileSync(path.join(saved, 'hosts.json'), 'utf8')) as SeededHost[];
  } else {
    const reports = fixtureReports(repo, cliPath(repo), path.join(cache, 'reports'));
    const seeding = await openSqliteStore(dataDir);
    const t0 = performance.now();
    hosts = await seedDashboard(seeding, { agencies, reports, rulesPerHost });
    seedMs = performance.now() - t0;
    seeding.db.pragma('wal_checkpoint(TRUNCATE)');
    await seeding.close();
    if (saved) {
      mkdirSync(saved, { recursive: true });
      cpSync(path.join(dataDir, DB_FILE_NAME), path.join(saved, DB_FILE_NAME));
      writeFileSync(path.join(saved, 'hosts.json'), JSON.stringify(hosts));
    }
  }
  const store = await openSqliteStore(dataDir);
  const tokens: Record<string, string> = {};
  for (const u of users) {
    tokens[u.name] = generateToken(API_TOKEN_PREFIX);
    await store.createUser({ name: u.name, role: u.role, agencyName: u.agency, tokenHash: hashToken(tokens[u.name]!), now: new Date().toISOString() });
  }
  await store.close();
  // A long heartbeat so seeded "online" hosts stay online while we look at them.
  const config = loadServerConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', dashboardDir, heartbeatSeconds: 3600 }, {});
  const collector = await startCollector(config, { log: silentLogger() });
  return {
    collector,
    hosts,
    tokens,
    seedMs,
    async close() {
      await collector.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(dashboardDir, { recursive: true, force: true });
    },
  };
}
