import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { loadServerConfig } from '../../server/config.js';
import { startCollector, type Collector } from '../../server/main.js';
import { openSqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { Store } from '../../server/store/store.js';
import { ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../../server/tokens.js';
import { TestAgent } from '../helpers/test-agent.js';

/** The real SQLite store, whose touchAgents fails once for the agent that reported outbox depth 7. */
function failingOnce(store: Store): Store {
  let failed = false;
  return new Proxy(store, {
    get(target, key) {
      if (key === 'touchAgents') {
        return async (seen: Parameters<Store['touchAgents']>[0]) => {
          if (!failed && seen.some((s) => s.outboxDepth === 7)) {
            failed = true;
            throw new Error('database briefly unavailable');
          }
          return target.touchAgents(seen);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

let dir: string;
let collector: Collector;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rampart-last-seen-'));
  // Pings far apart: nothing but the one heartbeat marks the agent as seen.
  const config = loadServerConfig({ dataDir: dir, port: 0, host: '127.0.0.1', logLevel: 'silent', lastSeenFlushSeconds: 1, heartbeatSeconds: 600 }, {});
  collector = await startCollector(config, { log: silentLogger(), store: failingOnce(await openSqliteStore(dir)) });
});
afterAll(async () => {
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('last-seen flushes', () => {
  it('writes at the next flush what a failed flush could not', async () => {
    await collector.store.createAgency('dhs');
    const token = generateToken(ENROLL_TOKEN_PREFIX);
    await collector.store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken(token), expiresAt: null, uses: 1, now: new Date().toISOString() });
    const agent = new TestAgent(collector.url, 'flaky-db-host');
    await agent.enroll(token);
    const { socket } = await agent.connect();
    socket.send({ v: 1, type: 'heartbeat', sentAt: new Date().toISOString(), outboxDepth: 7, dropped: 0 });
    let row = await collector.store.getAgent(agent.agentId);
    for (let i = 0; i < 60 && row?.outboxDepth !== 7; i++) {
      await new Promise((r) => setTimeout(r, 100));
      row = await collector.store.getAgent(agent.agentId);
    }
    expect(row?.outboxDepth).toBe(7);
    socket.close();
  });
});
