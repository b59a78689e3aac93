import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../../server/store/postgres/pg-store.js';
import { ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../../server/tokens.js';
import { TEST_PG_URL, dropSchema, newSchemaName, pgReachable, pgSkipAllowed } from '../helpers/pg-schema.js';
import { ensureBuilt, enrollAgent, makeFixtureRoot, pollUntil, removeBuild, runRampart, setMarker, spawnRampart, STREAM_RULES, type AgentEnv } from './helpers/agent-processes.js';
import { freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

const reachable = await pgReachable();

describe('PostgreSQL for the failover test', () => {
  it('is reachable at 127.0.0.1:5432 (set RAMPART_SKIP_PG=1 to skip locally; never skipped in CI)', () => {
    if (!reachable && pgSkipAllowed()) return;
    expect(reachable, `PostgreSQL is not reachable at ${TEST_PG_URL}`).toBe(true);
  });
});

describe.runIf(reachable)('agents fail over between replicas on one PostgreSQL', { timeout: 300_000 }, () => {
  const schema = newSchemaName();
  let tmp: string;
  let admin: PostgresStore;
  let a: CollectorProcess;
  let b: CollectorProcess;

  beforeAll(async () => {
    ensureBuilt();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-failover-'));
    admin = await openPostgresStore({ url: TEST_PG_URL, schema, poolSize: 2 });
    await admin.createAgency('dhs');
    const env = { RAMPART_DATABASE_URL: TEST_PG_URL, RAMPART_DATABASE_SCHEMA: schema };
    [a, b] = await Promise.all([
      (async () => startCollectorProcess(path.join(tmp, 'a'), await freePort(), env))(),
      (async () => startCollectorProcess(path.join(tmp, 'b'), await freePort(), env))(),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await admin?.close();
    await dropSchema(schema);
    await fs.rm(tmp, { recursive: true, force: true });
    await removeBuild();
  });

  it('kill -9 of the replica three agents stream to: they move to the other replica and every result is stored exactly once', async () => {
    const agents: Array<AgentEnv & { name: string; agentId: string; markers: Set<number> }> = [];
    for (let i = 0; i < 3; i++) {
      const name = `fo-host-${i}`;
      const env: AgentEnv = { stateDir: path.join(tmp, name, 'state'), fixtureRoot: path.join(tmp, name, 'root'), env: { RAMPART_SERVER: `${a.url},${b.url}` } };
      await makeFixtureRoot(env.fixtureRoot, name, [0]);
      const token = generateToken(ENROLL_TOKEN_PREFIX);
      await admin.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken(token), expiresAt: null, uses: 1, now: new Date().toISOString() });
      agents.push({ ...env, name, agentId: await enrollAgent(a.url, token, { ...env, env: {} }), markers: new Set([0]) });
    }
    const procs = agents.map((x) => spawnRampart(['agent', 'run', '--schedule', '* * * * * *', '--jitter', '0'], x));
    try {
      await pollUntil('all agents connected and scanned', () => procs.every((p) => p.logs.some((l) => l.msg === 'Connected') && p.logs.some((l) => l.msg === 'Scan queued')), 60_000);
      let marker = 1;
      const flip = async () => {
        for (const x of agents) {
          await setMarker(x.fixtureRoot, marker, true);
          x.markers.add(marker);
        }
        marker++;
      };
      for (let i = 0; i < 3; i++) {
        await flip();
        await new Promise((r) => setTimeout(r, 700));
      }
      await a.kill9();
      for (let i = 0; i < 3; i++) {
        await flip();
        await new Promise((r) => setTimeout(r, 700));
      }
      await pollUntil(
        'every host converged through replica B',
        async () => {
          for (const x of agents) {
            const d = await admin.hostDetail(x.agentId);
            if (d.host.counts.pass !== x.markers.size || !d.host.delivery.complete) return false;
          }
          return true;
        },
        90_000,
        250,
      );
      // Each agent's connection logs name replica B after the kill.
      for (const p of procs) expect(p.logs.some((l) => l.msg === 'Connecting to the collector' && l.server === b.url)).toBe(true);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
    for (const x of agents) {
      const r = await runRampart(['agent', 'run', '--once', '--timeout', '90'], x, 120_000);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const { next } = JSON.parse(await fs.readFile(path.join(x.stateDir, 'outbox/seq.json'), 'utf8')) as { next: number };
      const detail = await admin.hostDetail(x.agentId);
      expect(detail.host.delivery, x.name).toEqual({ maxSeq: next - 1, received: next - 1, missing: 0, complete: true });
      expect(detail.host.counts, x.name).toMatchObject({ pass: x.markers.size, fail: STREAM_RULES - x.markers.size });
      const history = await admin.hostHistory(x.agentId, { limit: 1000, offset: 0 });
      expect(history.total, x.name).toBe(STREAM_RULES + x.markers.size - 1);
    }
  });
});
