import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, removeBuild, enrollAgent, makeFixtureRoot, pollUntil, runRampart, spawnRampart, type AgentEnv } from './helpers/agent-processes.js';
import { Admin, freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

let tmp: string;
let collector: CollectorProcess;
let admin: Admin;
let n = 0;

beforeAll(async () => {
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-agent-refusals-'));
  collector = await startCollectorProcess(path.join(tmp, 'collector'), await freePort());
  admin = await Admin.open(path.join(tmp, 'collector'));
});

afterAll(async () => {
  await collector?.stop();
  await admin?.close();
  await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

async function newAgent(markers: number[] = [1]): Promise<AgentEnv> {
  const name = `refuse-${++n}`;
  const a: AgentEnv = { stateDir: path.join(tmp, name, 'state'), fixtureRoot: path.join(tmp, name, 'root') };
  await makeFixtureRoot(a.fixtureRoot, name, markers);
  return a;
}

const enrollArgs = (url: string, token: string, extra: string[] = []) => ['agent', 'enroll', '--server', url, '--token', token, ...extra];

describe('agents the collector must refuse', { timeout: 120_000 }, () => {
  it('an unknown token is refused with ERR_ENROLL_TOKEN_INVALID and leaves the state dir unenrolled', async () => {
    const a = await newAgent();
    const r = await runRampart(enrollArgs(collector.url, 'rpe_not-a-real-token'), a);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_ENROLL_TOKEN_INVALID');
    await expect(fs.access(path.join(a.stateDir, 'identity.json'))).rejects.toThrow();
    await expect(fs.access(path.join(a.stateDir, 'agent-key.pem'))).rejects.toThrow();
  });

  it('an expired token is refused with ERR_ENROLL_TOKEN_EXPIRED', async () => {
    const a = await newAgent();
    const token = await admin.token('dhs', { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    const r = await runRampart(enrollArgs(collector.url, token), a);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_ENROLL_TOKEN_EXPIRED');
  });

  it('a token with no uses left is refused with ERR_ENROLL_TOKEN_USED', async () => {
    const token = await admin.token('dhs', { uses: 1 });
    await enrollAgent(collector.url, token, await newAgent());
    const r = await runRampart(enrollArgs(collector.url, token), await newAgent());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_ENROLL_TOKEN_USED');
  });

  it('a token of another agency is refused with ERR_ENROLL_AGENCY_MISMATCH when the agent names its agency', async () => {
    const token = await admin.token('treasury');
    const r = await runRampart(enrollArgs(collector.url, token, ['--agency', 'dhs']), await newAgent());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_ENROLL_AGENCY_MISMATCH');
  });

  it('running without enrolling fails with ERR_AGENT_NOT_ENROLLED', async () => {
    const r = await runRampart(['agent', 'run', '--once'], await newAgent());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_AGENT_NOT_ENROLLED');
  });

  it('an agent the collector does not know (enrolled elsewhere) is refused with ERR_AUTH_UNKNOWN_AGENT, exit 4, no retry', async () => {
    const other = await startCollectorProcess(path.join(tmp, 'other-collector'), await freePort());
    const otherAdmin = await Admin.open(path.join(tmp, 'other-collector'));
    try {
      const a = await newAgent();
      await enrollAgent(other.url, await otherAdmin.token('dhs'), a);
      const r = await runRampart(['agent', 'run', '--once', '--server', collector.url, '--timeout', '60'], a);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('ERR_AUTH_UNKNOWN_AGENT');
      expect(r.logs.filter((l) => l.msg === 'Connecting to the collector')).toHaveLength(1);
    } finally {
      await other.stop();
      await otherAdmin.close();
    }
  });

  it('a revoked agent is refused with ERR_AUTH_REVOKED and exits 4 without retrying', async () => {
    const a = await newAgent();
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    expect(await admin.store.revokeAgent(agentId, new Date().toISOString())).toBe(true);
    const r = await runRampart(['agent', 'run', '--once', '--timeout', '60'], a);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('ERR_AUTH_REVOKED');
    expect(r.logs.filter((l) => l.msg === 'Connecting to the collector')).toHaveLength(1);
  });

  it('revoking a running agent closes its connection at once and it exits 4 with ERR_AUTH_REVOKED', async () => {
    const a = await newAgent();
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);
    const p = spawnRampart(['agent', 'run'], a);
    try {
      await pollUntil('agent connected', () => p.logs.some((l) => l.msg === 'Connected'), 60_000);
      await admin.store.revokeAgent(agentId, new Date().toISOString());
      const code = await Promise.race([p.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]);
      expect(code).toBe(4);
      expect(p.stderr()).toContain('ERR_AUTH_REVOKED');
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('a private key readable by others is refused before connecting (ERR_AGENT_KEY_PERMISSIONS)', async () => {
    const a = await newAgent();
    await enrollAgent(collector.url, await admin.token('dhs'), a);
    const key = path.join(a.stateDir, 'agent-key.pem');
    expect((await fs.stat(key)).mode & 0o777).toBe(0o600);
    await fs.chmod(key, 0o644);
    const r = await runRampart(['agent', 'run', '--once'], a);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_AGENT_KEY_PERMISSIONS');
  });

  it('a second agent on the same state dir is refused (ERR_AGENT_STATE_LOCKED); agents with their own dirs run side by side', async () => {
    const a = await newAgent();
    await enrollAgent(collector.url, await admin.token('dhs'), a);
    const p = spawnRampart(['agent', 'run'], a);
    try {
      await pollUntil('agent connected', () => p.logs.some((l) => l.msg === 'Connected'), 60_000);
      const r = await runRampart(['agent', 'run', '--once'], a);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('ERR_AGENT_STATE_LOCKED');
      const b = await newAgent();
      await enrollAgent(collector.url, await admin.token('dhs'), b);
      expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], b)).code).toBe(0);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });

  it('re-enrolling an enrolled state dir needs --force (ERR_AGENT_ALREADY_ENROLLED)', async () => {
    const a = await newAgent();
    await enrollAgent(collector.url, await admin.token('dhs'), a);
    const r = await runRampart(enrollArgs(collector.url, await admin.token('dhs')), a);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_AGENT_ALREADY_ENROLLED');
  });

  it('bad configuration is reported all at once with ERR_CONFIG_INVALID and exit 2', async () => {
    const a = await newAgent();
    const r = await runRampart(['agent', 'run', '--once', '--schedule', 'not cron'], { ...a, env: { RAMPART_BACKOFF_CAP_MS: 'soon', RAMPART_OUTBOX_MAX_FRAMES: '0' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ERR_CONFIG_INVALID');
    expect(r.stderr).toMatch(/schedule/);
    expect(r.stderr).toMatch(/backoffCapMs/);
    expect(r.stderr).toMatch(/outboxMaxFrames/);
  });

  it('--once against an unreachable collector gives up after --timeout with ERR_AGENT_ACK_TIMEOUT (exit 3) and keeps the results queued', async () => {
    const a = await newAgent();
    await enrollAgent(collector.url, await admin.token('dhs'), a);
    const closed = await freePort();
    const r = await runRampart(['agent', 'run', '--once', '--timeout', '3', '--server', `http://127.0.0.1:${closed}`], a);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_AGENT_ACK_TIMEOUT');
    expect(r.logs.filter((l) => l.msg === 'Reconnecting after backoff').length).toBeGreaterThanOrEqual(2);
    const frames = (await fs.readdir(path.join(a.stateDir, 'outbox'))).filter((n) => n.endsWith('.frame'));
    expect(frames).toHaveLength(1);
    // The next run with the collector reachable delivers them.
    expect((await runRampart(['agent', 'run', '--once', '--timeout', '60'], a)).code).toBe(0);
  });
});
