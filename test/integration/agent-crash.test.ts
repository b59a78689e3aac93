import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  removeBuild,
  enrollAgent,
  makeFixtureRoot,
  pollUntil,
  runRampart,
  setMarker,
  spawnRampart,
  STREAM_RULES,
  type AgentEnv,
  type AgentProcess,
} from './helpers/agent-processes.js';
import { Admin, freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

let tmp: string;

beforeAll(async () => {
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-agent-crash-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

interface Fleet {
  dataDir: string;
  port: number;
  collector: CollectorProcess;
  admin: Admin;
  agents: Array<AgentEnv & { name: string; agentId: string; markers: Set<number> }>;
}

async function startFleet(name: string, count: number, env: Record<string, string> = {}): Promise<Fleet> {
  const dataDir = path.join(tmp, name, 'collector');
  const port = await freePort();
  const collector = await startCollectorProcess(dataDir, port);
  const admin = await Admin.open(dataDir);
  const agents: Fleet['agents'] = [];
  for (let i = 0; i < count; i++) {
    const host = `${name}-host-${i}`;
    const a = { stateDir: path.join(tmp, name, host, 'state'), fixtureRoot: path.join(tmp, name, host, 'root'), env };
    await makeFixtureRoot(a.fixtureRoot, host, [0]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    agents.push({ ...a, name: host, agentId, markers: new Set([0]) });
  }
  return { dataDir, port, collector, admin, agents };
}

/** The seqs an agent has handed out so far (its outbox counter). */
async function producedSeqs(stateDir: string): Promise<number> {
  const { next } = JSON.parse(await fs.readFile(path.join(stateDir, 'outbox/seq.json'), 'utf8')) as { next: number };
  return next - 1;
}

async function outboxFrames(stateDir: string): Promise<number> {
  return (await fs.readdir(path.join(stateDir, 'outbox'))).filter((n) => n.endsWith('.frame')).length;
}

/**
 * Deliver what is left with `run --once`, then check: every seq the agent produced is stored
 * (no gaps, none twice), and the history has exactly one row per status change the agent made
 * (60 first verdicts + one fail→pass per marker created; markers only ever get created).
 */
async function expectExactlyOnce(fleet: Fleet, opts: { allowDrops?: boolean } = {}): Promise<void> {
  for (const a of fleet.agents) {
    const r = await runRampart(['agent', 'run', '--once', '--timeout', '90'], a, 120_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(await outboxFrames(a.stateDir)).toBe(0);
    // A backlog larger than the window went out without breaking the collector's flow control.
    expect(r.logs.filter((l) => l.code === 4429 || l.code === 'ERR_PROTOCOL_WINDOW')).toEqual([]);
    const produced = await producedSeqs(a.stateDir);
    const detail = await fleet.admin.store.hostDetail(a.agentId);
    expect(detail.host.counts, a.name).toMatchObject({ pass: a.markers.size, fail: STREAM_RULES - a.markers.size });
    expect(detail.host.delivery.maxSeq, a.name).toBe(produced);
    if (!opts.allowDrops) {
      expect(detail.host.delivery, a.name).toEqual({ maxSeq: produced, received: produced, missing: 0, complete: true });
      expect(detail.gaps).toEqual([]);
    }
    const history = await fleet.admin.store.hostHistory(a.agentId, { limit: 1000, offset: 0 });
    expect(history.total, a.name).toBe(STREAM_RULES + a.markers.size - 1);
  }
}

async function stopAll(procs: AgentProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
}

describe('delivery survives crashes', { timeout: 300_000 }, () => {
  it('kill -9 of the collector while four agents stream: after a restart on the same data dir every result is stored exactly once', async () => {
    const fleet = await startFleet('kill-collector', 4);
    const procs = fleet.agents.map((a) => spawnRampart(['agent', 'run', '--schedule', '* * * * * *', '--jitter', '0'], a));
    try {
      // Markers change only after each agent's first scan, so every change is one fail→pass transition.
      await pollUntil('all agents connected and scanned', () => procs.every((p) => p.logs.some((l) => l.msg === 'Connected') && p.logs.some((l) => l.msg === 'Scan queued')), 60_000);
      let marker = 1;
      const flip = async () => {
        for (const a of fleet.agents) {
          await setMarker(a.fixtureRoot, marker, true);
          a.markers.add(marker);
        }
        marker++;
      };
      for (let i = 0; i < 4; i++) {
        await flip();
        await new Promise((r) => setTimeout(r, 700));
      }
      await fleet.collector.kill9();
      for (let i = 0; i < 4; i++) {
        await flip();
        await new Promise((r) => setTimeout(r, 700));
      }
      // Frames piled up while the collector was gone.
      expect(Math.min(...(await Promise.all(fleet.agents.map((a) => outboxFrames(a.stateDir)))))).toBeGreaterThan(0);
      fleet.collector = await startCollectorProcess(fleet.dataDir, fleet.port);
      for (let i = 0; i < 3; i++) {
        await flip();
        await new Promise((r) => setTimeout(r, 700));
      }
      // Live agents catch up on their own.
      await pollUntil(
        'every host converged',
        async () => {
          for (const a of fleet.agents) {
            const d = await fleet.admin.store.hostDetail(a.agentId);
            if (d.host.counts.pass !== a.markers.size || !d.host.delivery.complete) return false;
          }
          return true;
        },
        90_000,
        250,
      );
      await stopAll(procs);
      expect(procs.every((p) => p.logs.some((l) => l.msg === 'Reconnecting after backoff'))).toBe(true);
      await expectExactlyOnce(fleet);
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
      await fleet.collector.stop();
      await fleet.admin.close();
    }
  });

  it('kill -9 of an agent with a full outbox: after a restart everything is delivered', async () => {
    const fleet = await startFleet('kill-agent', 1);
    const [a] = fleet.agents;
    try {
      await fleet.collector.kill9();
      const p = spawnRampart(['agent', 'run', '--schedule', '* * * * * *', '--jitter', '0'], a!);
      // Markers change only after the first scan, so every change is one fail→pass transition.
      await pollUntil('first scan queued', () => p.logs.some((l) => l.msg === 'Scan queued'), 60_000);
      for (let m = 1; m <= 12; m++) {
        await setMarker(a!.fixtureRoot, m, true);
        a!.markers.add(m);
        await new Promise((r) => setTimeout(r, 400));
      }
      await pollUntil('outbox filled', async () => (await outboxFrames(a!.stateDir)) >= 10, 60_000);
      await p.kill9();
      const queued = await outboxFrames(a!.stateDir);
      expect(queued).toBeGreaterThanOrEqual(10);
      // A collector with a small window: the backlog must flow through it without a 4429 close.
      fleet.collector = await startCollectorProcess(fleet.dataDir, fleet.port, { RAMPART_WINDOW: '2' });
      await expectExactlyOnce(fleet);
    } finally {
      await fleet.collector.stop();
      await fleet.admin.close();
    }
  });

  it('outbox overflow drops the oldest deltas, counts them, and a full resend makes the collector converge', async () => {
    const fleet = await startFleet('overflow', 1, { RAMPART_OUTBOX_MAX_FRAMES: '4' });
    const [a] = fleet.agents;
    try {
      // The first full state is delivered, then the collector goes away.
      expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], a!)).code).toBe(0);
      await fleet.collector.kill9();
      const p = spawnRampart(['agent', 'run', '--schedule', '* * * * * *', '--jitter', '0'], a!);
      for (let m = 1; m <= 8; m++) {
        await setMarker(a!.fixtureRoot, m, true);
        a!.markers.add(m);
        await new Promise((r) => setTimeout(r, 500));
      }
      await pollUntil('frames dropped', () => p.logs.some((l) => l.msg?.startsWith('Outbox full')), 60_000);
      // After a drop, the next scan is queued as the full state.
      await pollUntil('a full state queued after the drop', () => {
        const drop = p.logs.findIndex((l) => l.msg?.startsWith('Outbox full'));
        return p.logs.slice(drop).some((l) => l.msg === 'Scan queued' && l.full === true);
      }, 60_000);
      expect(await outboxFrames(a!.stateDir)).toBeLessThanOrEqual(4);
      // kill -9 with the outbox at its limit: nothing beyond what the policy dropped may be lost.
      await p.kill9();
      fleet.collector = await startCollectorProcess(fleet.dataDir, fleet.port);
      const r = await runRampart(['agent', 'run', '--once', '--timeout', '90'], a!);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const drops = JSON.parse(await fs.readFile(path.join(a!.stateDir, 'outbox/drops.json'), 'utf8')) as { dropped: number; needFull: boolean };
      expect(drops.dropped).toBeGreaterThan(0);
      expect(drops.needFull).toBe(false);
      const detail = await fleet.admin.store.hostDetail(a!.agentId);
      // The collector converged on the host's real state despite the loss...
      expect(detail.host.counts).toMatchObject({ pass: a!.markers.size, fail: STREAM_RULES - a!.markers.size });
      // ...and the loss is visible to an auditor as gaps, exactly as many as the agent counted.
      expect(detail.host.delivery.maxSeq).toBe(await producedSeqs(a!.stateDir));
      expect(detail.host.delivery.missing).toBe(drops.dropped);
      expect(detail.host.delivery.complete).toBe(false);
    } finally {
      await fleet.collector.stop();
      await fleet.admin.close();
    }
  });
});
