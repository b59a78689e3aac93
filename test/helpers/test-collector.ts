/**
 * @module Start a real collector on port 0 with a fresh SQLite data directory, plus the admin
 * steps the CLI performs (agency, enrollment token, API user), for tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../shared/log.js';
import { loadServerConfig, type ServerConfigInput } from '../../server/config.js';
import { startCollector, type Collector } from '../../server/main.js';
import { API_TOKEN_PREFIX, ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../../server/tokens.js';
import type { Role } from '../../server/store/store.js';

export interface TestCollector extends Collector {
  dataDir: string;
  /** Create an enrollment token for an agency (created if missing). */
  token(agency: string, opts?: { uses?: number; expiresAt?: string | null }): Promise<string>;
  /** Create an API user; returns its bearer token. */
  apiToken(name: string, role?: Role, agency?: string): Promise<string>;
  /** Close and delete the data directory. */
  dispose(): Promise<void>;
}

export async function startTestCollector(overrides: Partial<ServerConfigInput> = {}, dataDir?: string): Promise<TestCollector> {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'rampart-collector-'));
  const config = loadServerConfig({ dataDir: dir, port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides }, {});
  const collector = await startCollector(config, { log: silentLogger() });
  const now = () => new Date().toISOString();
  return {
    ...collector,
    dataDir: dir,
    async token(agency, opts = {}) {
      if (!(await collector.store.findAgency(agency))) await collector.store.createAgency(agency);
      const token = generateToken(ENROLL_TOKEN_PREFIX);
      await collector.store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(token), expiresAt: opts.expiresAt ?? null, uses: opts.uses ?? 1, now: now() });
      return token;
    },
    async apiToken(name, role = 'admin', agency) {
      const token = generateToken(API_TOKEN_PREFIX);
      await collector.store.createUser({ name, role, agencyName: agency, tokenHash: hashToken(token), now: now() });
      return token;
    },
    async dispose() {
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
