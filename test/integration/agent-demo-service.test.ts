import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, pollUntil, removeBuild, REPO, runRampart, spawnRampart } from './helpers/agent-processes.js';

let tmp: string;

beforeAll(async () => {
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-demo-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

describe('rampart demo and install-service', { timeout: 180_000 }, () => {
  it('demo starts a collector, enrolls a local agent, stores its first scan, prints a working admin token and stops on Ctrl-C', async () => {
    const env = { stateDir: path.join(tmp, 'unused'), fixtureRoot: path.join(REPO, 'test/fixtures/hosts/debian12-default'), env: { RAMPART_PACKS: '' } };
    const p = spawnRampart(['demo', '--dir', path.join(tmp, 'demo'), '--port', '0'], env);
    try {
      await pollUntil('demo ready', () => p.stdout().includes('Rampart demo is running.'), 120_000, 200);
      const out = p.stdout();
      const url = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/v1\/agencies/.exec(out)?.[1];
      const token = /Admin token\s+(rpa_\S+)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(token).toBeDefined();
      expect(out).toMatch(/delivery complete/);
      const res = await fetch(`${url}/api/v1/agencies/demo/hosts`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: Array<{ lastScanAt: string | null; delivery: { complete: boolean } }> };
      expect(body.items).toHaveLength(1);
      expect(body.items[0]!.lastScanAt).not.toBeNull();
      expect(body.items[0]!.delivery.complete).toBe(true);
      expect(await fs.readFile(path.join(tmp, 'demo/admin-token'), 'utf8')).toContain(token!);
      expect((await fs.stat(path.join(tmp, 'demo/admin-token'))).mode & 0o777).toBe(0o600);
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('install-service writes a hardened unit that restarts on failure but not after a refusal, and does not start it', async () => {
    const unitPath = path.join(tmp, 'units', 'rampart-agent.service');
    const r = await runRampart(['agent', 'install-service', '--unit-path', unitPath, '--state-dir', '/var/lib/rampart-agent', '--server', 'https://collector.example.gov:8420'], {
      stateDir: path.join(tmp, 'unused'),
      fixtureRoot: path.join(tmp, 'unused-root'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('systemctl enable --now rampart-agent.service');
    const unit = await fs.readFile(unitPath, 'utf8');
    expect((await fs.stat(unitPath)).mode & 0o777).toBe(0o644);
    for (const line of [
      'Restart=always',
      'RestartPreventExitStatus=4 2',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/rampart-agent',
      'ProtectHome=read-only',
      'PrivateTmp=yes',
      'User=root',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit).toContain(line);
    }
    expect(unit).toMatch(/^ExecStart=\S+node \S+rampart\.js agent run --state-dir \/var\/lib\/rampart-agent --server https:\/\/collector\.example\.gov:8420$/m);
    const bad = await runRampart(['agent', 'install-service', '--unit-path', unitPath, '--user', 'root; rm -rf /'], { stateDir: path.join(tmp, 'unused'), fixtureRoot: path.join(tmp, 'unused-root') });
    expect(bad.code).toBe(2);
  });
});
