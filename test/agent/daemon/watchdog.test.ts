/**
 * The daemon with its scan watchdog, end to end: the real `runAgent` (in-process) starting real
 * scan processes (our entry bundled from sources) and delivering to a real collector on port 0.
 * A normal scan delivers under the default limits; a scan stopped for CPU sets its rule aside and
 * the collector gets the rest plus an ERR_WATCHDOG_DENYLISTED result; a stop that names no rule
 * reaches the collector as the agent's own `rampart.agent.scan-watchdog` error, which the next
 * finished scan removes.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/daemon/config.js';
import { runAgent } from '../../../agent/daemon/daemon.js';
import { enroll } from '../../../agent/daemon/enroll.js';
import { statePaths } from '../../../agent/daemon/state-dir.js';
import { WATCHDOG_RULE_ID } from '../../../agent/watchdog/results.js';
import { isAppError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { startTestCollector, type TestCollector } from '../../helpers/test-collector.js';
import { buildWorkerEntry, type WorkerEntry } from '../helpers/worker-entry.js';
import { expensivePack, expensiveRoot, type ExpensiveKind } from '../watchdog/fixtures.js';

let tmp: string;
let root: string;
let collector: TestCollector;
let worker: WorkerEntry;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-daemon-watchdog-'));
  root = await expensiveRoot(path.join(tmp, 'root'));
  collector = await startTestCollector();
  worker = await buildWorkerEntry();
});

afterAll(async () => {
  await collector?.dispose();
  worker?.dispose();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

async function newAgent(name: string) {
  const stateDir = path.join(tmp, name);
  const env = { RAMPART_STATE_DIR: stateDir, RAMPART_SERVER: collector.url, RAMPART_FIXTURE_ROOT: root, RAMPART_LOG_LEVEL: 'silent', RAMPART_BACKOFF_BASE_MS: '100', RAMPART_BACKOFF_CAP_MS: '500' };
  const identity = await enroll({ paths: statePaths(stateDir), serverUrl: collector.url, token: await collector.token('Watchdog Agency'), timeoutMs: 10_000, log: silentLogger() });
  const run = async (kind: ExpensiveKind, extra: Record<string, string> = {}) =>
    runAgent(loadAgentConfig({}, { ...env, RAMPART_PACKS: await expensivePack(tmp, kind), RAMPART_ONCE_TIMEOUT_SECONDS: '60', ...extra }), { once: true, worker: worker.command }, silentLogger());
  const results = async () => {
    const page = await collector.store.hostResults(identity.agentId, { limit: 100, offset: 0 });
    return new Map(page.items.map((r) => [r.ruleId, r.result as { status: string; error?: { code: string } }]));
  };
  return { stateDir, agentId: identity.agentId, run, results };
}

describe('the agent daemon with its scan watchdog', { timeout: 120_000 }, () => {
  it('delivers a normal scan under the default limits to a real collector', async () => {
    const a = await newAgent('normal');
    expect(await a.run('cheap')).toBe(0);
    const stored = await a.results();
    expect([...stored.keys()].sort()).toEqual([0, 1, 2, 3].map((i) => `test.watchdog.cheap-${i}`));
    expect([...stored.values()].every((r) => r.status === 'pass')).toBe(true);
    expect(await fs.readFile(path.join(a.stateDir, 'watchdog.json'), 'utf8').catch(() => 'none')).toBe('none');
  });

  it('scans and delivers even when its watchdog state file is damaged (bookkeeping, never a reason not to scan)', async () => {
    const a = await newAgent('damaged');
    await fs.writeFile(path.join(a.stateDir, 'watchdog.json'), 'not json');
    expect(await a.run('cheap')).toBe(0);
    expect((await a.results()).size).toBe(4);
  });

  it('sets aside the rule a CPU-stopped scan was running, delivers the rest, and the collector stores ERR_WATCHDOG_DENYLISTED for it', async () => {
    const a = await newAgent('cpu');
    expect(await a.run('cpu', { RAMPART_SCAN_CPU_SECONDS: '1' })).toBe(0);
    const stored = await a.results();
    expect(stored.size).toBe(5);
    expect(stored.get('test.watchdog.backtracking')).toMatchObject({ status: 'error', error: { code: 'ERR_WATCHDOG_DENYLISTED' } });
    expect([0, 1, 2, 3].every((i) => stored.get(`test.watchdog.cheap-${i}`)?.status === 'pass')).toBe(true);
    const strikes = JSON.parse(await fs.readFile(path.join(a.stateDir, 'watchdog.json'), 'utf8')) as { stopsInARow: number; denylist: Record<string, { code: string }> };
    expect(strikes.stopsInARow).toBe(0);
    expect(Object.keys(strikes.denylist)).toEqual(['test.watchdog.backtracking']);
    expect(strikes.denylist['test.watchdog.backtracking']!.code).toBe('ERR_WATCHDOG_CPU');
    // Still set aside on the next run, without stopping anything.
    expect(await a.run('cpu', { RAMPART_SCAN_CPU_SECONDS: '1' })).toBe(0);
  });

  it('reports a stop it cannot blame on a rule as the agent\'s own error result, exits with the code, and clears it after a finished scan', async () => {
    const a = await newAgent('unblamed');
    const err = await a.run('memory-everywhere', { RAMPART_SCAN_MEMORY_MB: '96' }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('ERR_WATCHDOG_MEMORY');
    let stored = await a.results();
    expect(stored.get(WATCHDOG_RULE_ID)).toMatchObject({ status: 'error', error: { code: 'ERR_WATCHDOG_MEMORY' } });
    expect(await a.run('cheap')).toBe(0);
    stored = await a.results();
    expect(stored.has(WATCHDOG_RULE_ID)).toBe(false);
    expect(stored.size).toBe(4);
  });
});
