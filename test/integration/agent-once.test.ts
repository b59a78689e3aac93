import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, removeBuild, enrollAgent, makeFixtureRoot, runRampart, setMarker, STREAM_RULES, type AgentEnv } from './helpers/agent-processes.js';
import { Admin, freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

let tmp: string;
let collector: CollectorProcess;
let admin: Admin;

beforeAll(async () => {
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-agent-once-'));
  collector = await startCollectorProcess(path.join(tmp, 'collector'), await freePort());
  admin = await Admin.open(path.join(tmp, 'collector'));
});

afterAll(async () => {
  await collector?.stop();
  await admin?.close();
  await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

async function newAgent(name: string, markers: number[]): Promise<AgentEnv> {
  const a: AgentEnv = { stateDir: path.join(tmp, name, 'state'), fixtureRoot: path.join(tmp, name, 'root') };
  await makeFixtureRoot(a.fixtureRoot, name, markers);
  return a;
}

async function queued(logs: Array<Record<string, unknown>>) {
  return logs.filter((l) => l.msg === 'Scan queued').map((l) => ({ full: l.full, results: l.results, removed: l.removed }));
}

describe('rampart agent run --once', { timeout: 180_000 }, () => {
  it('sends the full state first, then only what changed, and every frame is stored exactly once', async () => {
    const a = await newAgent('once-1', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);

    const first = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
    expect(first.code, first.stderr).toBe(0);
    expect(await queued(first.logs)).toEqual([{ full: true, results: STREAM_RULES, removed: 0 }]);

    let detail = await admin.store.hostDetail(agentId);
    expect(detail.host.counts).toMatchObject({ pass: 10, fail: 50 });
    expect(detail.host.delivery).toMatchObject({ complete: true, missing: 0 });
    expect(detail.gaps).toEqual([]);

    for (const m of [10, 11, 12, 13, 14]) await setMarker(a.fixtureRoot, m, true);
    await setMarker(a.fixtureRoot, 0, false);
    const second = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
    expect(second.code, second.stderr).toBe(0);
    expect(await queued(second.logs)).toEqual([{ full: false, results: 6, removed: 0 }]);

    detail = await admin.store.hostDetail(agentId);
    expect(detail.host.counts).toMatchObject({ pass: 14, fail: 46 });
    const seq = JSON.parse(await fs.readFile(path.join(a.stateDir, 'outbox/seq.json'), 'utf8')) as { next: number };
    expect(detail.host.delivery).toEqual({ maxSeq: seq.next - 1, received: seq.next - 1, missing: 0, complete: true });
    const history = await admin.store.hostHistory(agentId, { limit: 1000, offset: 0 });
    // 60 first verdicts + 6 changes; a frame applied twice would add nothing, a lost one would miss rows.
    expect(history.total).toBe(STREAM_RULES + 6);

    const third = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
    expect(third.code, third.stderr).toBe(0);
    expect(await queued(third.logs)).toEqual([{ full: false, results: 0, removed: 0 }]);
    expect((await admin.store.hostHistory(agentId, { limit: 1000, offset: 0 })).total).toBe(STREAM_RULES + 6);
    const outbox = (await fs.readdir(path.join(a.stateDir, 'outbox'))).filter((n) => n.endsWith('.frame'));
    expect(outbox).toEqual([]);

    const finalSeq = JSON.parse(await fs.readFile(path.join(a.stateDir, 'outbox/seq.json'), 'utf8')) as { next: number };
    const status = await runRampart(['agent', 'status'], a);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      stateDir: a.stateDir,
      enrolled: true,
      agentId,
      agency: 'dhs',
      serverUrl: collector.url,
      outboxDepth: 0,
      dropped: 0,
      ackedSeq: finalSeq.next - 1,
      ackedRules: STREAM_RULES,
      installedPacks: [],
    });
  });
});
