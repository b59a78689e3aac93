import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, enrollAgent, makeFixtureRoot, pollUntil, removeBuild, runRampart, setMarker, spawnRampart, STREAM_RULES, type AgentEnv } from './helpers/agent-processes.js';
import { Admin, freePort, startCollectorProcess } from './helpers/collector-process.js';

let tmp: string;

beforeAll(async () => {
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-agent-outage-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

const CAP_MS = 3000;

describe('collector outages', { timeout: 300_000 }, () => {
  it('while the collector is down agents buffer and back off with full jitter, then deliver everything without a stampede', async () => {
    const dataDir = path.join(tmp, 'down', 'collector');
    const port = await freePort();
    let collector = await startCollectorProcess(dataDir, port);
    const admin = await Admin.open(dataDir);
    const agents: Array<AgentEnv & { agentId: string; markers: Set<number> }> = [];
    for (let i = 0; i < 5; i++) {
      const a: AgentEnv = {
        stateDir: path.join(tmp, 'down', `h${i}`, 'state'),
        fixtureRoot: path.join(tmp, 'down', `h${i}`, 'root'),
        env: { RAMPART_BACKOFF_BASE_MS: '200', RAMPART_BACKOFF_CAP_MS: String(CAP_MS) },
      };
      await makeFixtureRoot(a.fixtureRoot, `outage-h${i}`, [0]);
      agents.push({ ...a, agentId: await enrollAgent(collector.url, await admin.token('dhs'), a), markers: new Set([0]) });
    }
    const procs = agents.map((a) => spawnRampart(['agent', 'run', '--schedule', '*/2 * * * * *', '--jitter', '0'], a));
    try {
      await pollUntil('all connected and scanned', () => procs.every((p) => p.logs.some((l) => l.msg === 'Connected') && p.logs.some((l) => l.msg === 'Scan queued')), 60_000);
      await collector.kill9();
      const downAt = Date.now();
      for (let m = 1; m <= 5; m++) {
        for (const a of agents) {
          await setMarker(a.fixtureRoot, m, true);
          a.markers.add(m);
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
      // Ten seconds down: every agent has retried several times and holds frames in its outbox.
      for (const a of agents) {
        const frames = (await fs.readdir(path.join(a.stateDir, 'outbox'))).filter((n) => n.endsWith('.frame'));
        expect(frames.length).toBeGreaterThan(0);
      }
      const upAt = Date.now();
      collector = await startCollectorProcess(dataDir, port);
      await pollUntil(
        'every host converged and complete',
        async () => {
          for (const a of agents) {
            const d = await admin.store.hostDetail(a.agentId);
            if (d.host.counts.pass !== a.markers.size || !d.host.delivery.complete) return false;
          }
          return true;
        },
        90_000,
        250,
      );

      // Backoff: the delays each agent chose grow to the cap and are drawn at random (full jitter).
      const delays = procs.map((p) => p.logs.filter((l) => l.msg === 'Reconnecting after backoff' && Date.parse(l.time) >= downAt).map((l) => ({ delay: l.delayMs as number, attempt: l.attempt as number })));
      for (const d of delays) {
        expect(d.length).toBeGreaterThanOrEqual(3);
        for (const { delay, attempt } of d) expect(delay).toBeLessThan(Math.min(CAP_MS, 200 * 2 ** (attempt - 1)) + 1);
      }
      const capped = delays.flat().filter((d) => d.attempt >= 6).map((d) => d.delay);
      expect(capped.length).toBeGreaterThanOrEqual(5);
      expect(new Set(capped).size).toBeGreaterThanOrEqual(Math.ceil(capped.length * 0.8));
      expect(Math.max(...capped) - Math.min(...capped)).toBeGreaterThan(CAP_MS / 4);
      // No stampede: the agents came back at different moments after the collector returned.
      const back = procs.map((p) => Math.min(...p.logs.filter((l) => l.msg === 'Connected' && Date.parse(l.time) >= upAt).map((l) => Date.parse(l.time))));
      expect(back.every(Number.isFinite)).toBe(true);
      expect(Math.max(...back) - Math.min(...back)).toBeGreaterThan(150);

      await Promise.all(procs.map((p) => p.stop()));
      for (const a of agents) {
        const { next } = JSON.parse(await fs.readFile(path.join(a.stateDir, 'outbox/seq.json'), 'utf8')) as { next: number };
        const d = await admin.store.hostDetail(a.agentId);
        // Frames queued after the last ack are delivered by the next run; everything acked so far has no gaps.
        expect(d.host.delivery.complete).toBe(true);
        expect(d.host.delivery.maxSeq).toBeLessThanOrEqual(next - 1);
        const history = await admin.store.hostHistory(a.agentId, { limit: 1000, offset: 0 });
        expect(history.total).toBe(STREAM_RULES + a.markers.size - 1);
      }
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
      await collector.stop();
      await admin.close();
    }
  });

  it('a digest that does not match the collector state brings a resync and a full resend', async () => {
    const dataDir = path.join(tmp, 'resync', 'collector');
    const port = await freePort();
    let collector = await startCollectorProcess(dataDir, port);
    const admin = await Admin.open(dataDir);
    const a: AgentEnv = { stateDir: path.join(tmp, 'resync', 'state'), fixtureRoot: path.join(tmp, 'resync', 'root') };
    await makeFixtureRoot(a.fixtureRoot, 'resync-host', [0, 1, 2]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    try {
      expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], a)).code).toBe(0);
      // The collector loses one verdict behind the agent's back (a restore, a bad migration...).
      await collector.stop();
      const db = new Database(path.join(dataDir, 'rampart.db'));
      const removed = db
        .prepare(`DELETE FROM results WHERE agent_key = (SELECT key FROM agents WHERE id = ?) AND rule_key = (SELECT key FROM rules WHERE id = 'test.stream.marker-01')`)
        .run(agentId).changes;
      db.close();
      expect(removed).toBe(1);
      collector = await startCollectorProcess(dataDir, port);

      const r = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(r.logs.some((l) => l.msg === 'Collector asked for the full state')).toBe(true);
      const queued = r.logs.filter((l) => l.msg === 'Scan queued').map((l) => l.full);
      expect(queued).toEqual([false, true]);
      const results = await admin.store.hostResults(agentId, { limit: 1000, offset: 0 });
      expect(results.total).toBe(STREAM_RULES);
      await setMarker(a.fixtureRoot, 9, true);
      const again = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
      expect(again.code).toBe(0);
      // In step again: a plain delta, no resync.
      expect(again.logs.filter((l) => l.msg === 'Scan queued').map((l) => [l.full, l.results])).toEqual([[false, 1]]);
      expect(again.logs.some((l) => l.msg === 'Collector asked for the full state')).toBe(false);
    } finally {
      await collector.stop();
      await admin.close();
    }
  });

  it('a frame the collector keeps refusing (4400) is set aside after three tries, counted, and the full state is resent', async () => {
    const dataDir = path.join(tmp, 'poison', 'collector');
    const collector = await startCollectorProcess(dataDir, await freePort());
    const admin = await Admin.open(dataDir);
    const a: AgentEnv = { stateDir: path.join(tmp, 'poison', 'state'), fixtureRoot: path.join(tmp, 'poison', 'root') };
    await makeFixtureRoot(a.fixtureRoot, 'poison-host', [0, 1]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    try {
      expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], a)).code).toBe(0);
      // A frame this collector cannot accept (a result without its required fields), queued as if by an older/newer agent.
      const outbox = path.join(a.stateDir, 'outbox');
      const { next } = JSON.parse(await fs.readFile(path.join(outbox, 'seq.json'), 'utf8')) as { next: number };
      const bad = { meta: { enqueuedAt: new Date().toISOString() }, frame: { v: 1, type: 'results', seq: next, scanId: 's', scannedAt: new Date().toISOString(), packs: [], full: false, results: [{ ruleId: 'test.stream.marker-01' }] } };
      await fs.writeFile(path.join(outbox, `${String(next).padStart(16, '0')}.frame`), JSON.stringify(bad));
      await setMarker(a.fixtureRoot, 5, true);

      const r = await runRampart(['agent', 'run', '--once', '--timeout', '90'], a);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(r.logs.filter((l) => l.msg === 'Collector reported an error').map((l) => l.code)).toEqual(['ERR_PROTOCOL_INVALID_FRAME', 'ERR_PROTOCOL_INVALID_FRAME', 'ERR_PROTOCOL_INVALID_FRAME']);
      expect(r.logs.some((l) => l.msg?.startsWith('Collector keeps refusing this frame'))).toBe(true);
      expect(await fs.readdir(outbox)).toContain(`rejected-${String(next).padStart(16, '0')}.frame`);
      const drops = JSON.parse(await fs.readFile(path.join(outbox, 'drops.json'), 'utf8')) as { dropped: number; needFull: boolean };
      expect(drops).toEqual({ dropped: 1, needFull: false });
      const detail = await admin.store.hostDetail(agentId);
      expect(detail.host.counts).toMatchObject({ pass: 3, fail: STREAM_RULES - 3 });
      expect(detail.host.delivery.missing).toBe(1);
    } finally {
      await collector.stop();
      await admin.close();
    }
  });

  it('heartbeats report the outbox depth and the drop count to the collector', async () => {
    const dataDir = path.join(tmp, 'heartbeat', 'collector');
    const collector = await startCollectorProcess(dataDir, await freePort(), { RAMPART_HEARTBEAT_SECONDS: '1', RAMPART_LAST_SEEN_FLUSH_SECONDS: '1' });
    const admin = await Admin.open(dataDir);
    const a: AgentEnv = { stateDir: path.join(tmp, 'heartbeat', 'state'), fixtureRoot: path.join(tmp, 'heartbeat', 'root') };
    await makeFixtureRoot(a.fixtureRoot, 'heartbeat-host', [0]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    await fs.mkdir(path.join(a.stateDir, 'outbox'), { recursive: true });
    // Seven frames were lost to overflow in an earlier life of this agent.
    await fs.writeFile(path.join(a.stateDir, 'outbox/drops.json'), JSON.stringify({ dropped: 7, needFull: false }));
    const p = spawnRampart(['agent', 'run'], a);
    try {
      const agent = await pollUntil('heartbeat recorded', async () => {
        const row = await admin.store.getAgent(agentId);
        return row && row.dropped === 7 && row.outboxDepth === 0 && row.lastScanAt ? row : undefined;
      }, 60_000, 200);
      expect(agent.lastSeenAt).not.toBeNull();
    } finally {
      expect(await p.stop()).toBe(0);
      await collector.stop();
      await admin.close();
    }
  });

  it('a collector restored from an older backup gets the full state again', async () => {
    const dataDir = path.join(tmp, 'restore', 'collector');
    const port = await freePort();
    let collector = await startCollectorProcess(dataDir, port);
    let admin = await Admin.open(dataDir);
    const a: AgentEnv = { stateDir: path.join(tmp, 'restore', 'state'), fixtureRoot: path.join(tmp, 'restore', 'root') };
    await makeFixtureRoot(a.fixtureRoot, 'restore-host', [0]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    try {
      expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], a)).code).toBe(0);
      await collector.stop();
      await admin.close();
      await fs.cp(dataDir, `${dataDir}.backup`, { recursive: true });
      collector = await startCollectorProcess(dataDir, port);
      for (const m of [1, 2]) {
        await setMarker(a.fixtureRoot, m, true);
        expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], a)).code).toBe(0);
      }
      await collector.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
      await fs.rename(`${dataDir}.backup`, dataDir);
      collector = await startCollectorProcess(dataDir, port);
      admin = await Admin.open(dataDir);
      expect((await admin.store.hostDetail(agentId)).host.counts.pass).toBe(1);

      const r = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      expect(r.logs.some((l) => l.msg?.startsWith('Collector lost acknowledged frames'))).toBe(true);
      // The scan may have been queued as a delta before welcome revealed the loss; a full state follows it.
      expect(r.logs.filter((l) => l.msg === 'Scan queued').map((l) => l.full).at(-1)).toBe(true);
      expect((await admin.store.hostDetail(agentId)).host.counts).toMatchObject({ pass: 3, fail: STREAM_RULES - 3 });
    } finally {
      await collector.stop();
      await admin.close();
    }
  });
});
