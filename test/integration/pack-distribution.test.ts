import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBundle, unsignedBundle, type PackBundle } from '../../shared/pack-bundle.js';
import { generateSigningKeys, loadSigningKey } from '../../agent/rules/signing-keys.js';
import type { PackBundleStore } from '../../server/store/pack-bundles.js';
import { ensureBuilt, enrollAgent, makeFixtureRoot, pollUntil, removeBuild, runRampart, spawnRampart, type AgentEnv, type AgentProcess, type LogLine } from './helpers/agent-processes.js';
import { Admin, freePort, startCollectorProcess, type CollectorProcess } from './helpers/collector-process.js';

let tmp: string;
let collectorDir: string;
let collector: CollectorProcess;
let admin: Admin;
let keyFile: string;
let otherKeyFile: string;
let trustedDir: string;
let agent: AgentProcess | undefined;

function distPack(version: string, rules: number): string {
  const lines = ['pack:', '  id: test-dist', '  title: Distributed test pack', `  version: ${version}`, '  description: Marker rules delivered by the collector.', 'rules:'];
  for (let i = 0; i < rules; i++) {
    const n = String(i).padStart(2, '0');
    lines.push(
      `  - id: test.dist.marker-${n}`,
      `    title: Distributed marker ${n} is present`,
      '    rationale: Test rule delivered as a signed pack.',
      '    severity: medium',
      '    references: { directives: [M-22-09], nist: [CM-6] }',
      '    check:',
      '      probe: file',
      `      params: { path: /var/lib/rampart-test/marker-${n} }`,
      '      expect: { exists: { eq: true } }',
      `    remediation: touch /var/lib/rampart-test/marker-${n}`,
    );
  }
  return lines.join('\n') + '\n';
}

async function sign(version: string, rules: number, key = keyFile): Promise<PackBundle> {
  return signBundle({ pack: distPack(version, rules), packId: 'test-dist', version, privateKey: await loadSigningKey(key) });
}

function packs(): PackBundleStore {
  return admin.store.packs!;
}

function logged(logs: LogLine[], msg: string, match: Record<string, unknown> = {}): LogLine | undefined {
  return logs.find((l) => l.msg.startsWith(msg) && Object.entries(match).every(([k, v]) => l[k] === v));
}

beforeAll(async () => {
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-pack-dist-'));
  collectorDir = path.join(tmp, 'collector');
  collector = await startCollectorProcess(collectorDir, await freePort());
  admin = await Admin.open(collectorDir);
  keyFile = (await generateSigningKeys(path.join(tmp, 'keys'))).privateKeyFile;
  otherKeyFile = (await generateSigningKeys(path.join(tmp, 'other-keys'))).privateKeyFile;
  trustedDir = path.join(tmp, 'trusted');
  await fs.mkdir(trustedDir);
  await fs.chmod(trustedDir, 0o755);
  await fs.copyFile(path.join(tmp, 'keys', 'pack-signing.pub'), path.join(trustedDir, 'ops.pub'));
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await collector?.stop();
  await admin?.close();
  await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

describe('signed rule packs over the agent WebSocket', { timeout: 180_000 }, () => {
  it('reaches an offline agent after welcome and an online one within seconds, and refuses untrusted or tampered bundles', async () => {
    const a: AgentEnv = { stateDir: path.join(tmp, 'a', 'state'), fixtureRoot: path.join(tmp, 'a', 'root') };
    await makeFixtureRoot(a.fixtureRoot, 'dist-a', [0, 1]);
    const agentId = await enrollAgent(collector.url, await admin.token('dhs'), a);

    // Published while the agent is offline, through the CLI (digest checked, audit-logged).
    const v1 = await sign('1.0.0', 3);
    const v1File = path.join(tmp, 'v1.bundle.json');
    await fs.writeFile(v1File, JSON.stringify(v1));
    const pub = await runRampart(['server', 'pack', 'publish', '--agency', 'dhs', v1File, '--data-dir', collectorDir], a);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toContain('published test-dist 1.0.0');
    const audit = admin.store.kind === 'sqlite' ? ((admin.store as unknown as { db: { prepare(q: string): { all(): unknown[] } } }).db.prepare("SELECT actor, action, object_id FROM audit_log WHERE action = 'pack.publish'").all() as Array<{ actor: string; object_id: string }>) : [];
    expect(audit).toEqual([expect.objectContaining({ object_id: 'dhs/test-dist@1.0.0' })]);
    expect(audit[0]!.actor).toMatch(/^cli:/);

    agent = spawnRampart(['agent', 'run', '--schedule', '0 0 1 1 *', '--jitter', '0', '--trusted-keys', trustedDir], a);
    await pollUntil('pack 1.0.0 installed after welcome', () => logged(agent!.logs, 'Rule pack installed', { packId: 'test-dist', version: '1.0.0' }), 30_000);
    // The next scan uses it, and the collector records which pack version the results came from.
    await pollUntil('results of the distributed pack stored', async () => {
      const r = await admin.store.hostResults(agentId, { limit: 1000, offset: 0 });
      return r.items.filter((i) => i.ruleId.startsWith('test.dist.')).length === 3;
    });
    const results = await admin.store.hostResults(agentId, { limit: 1000, offset: 0 });
    const dist = results.items.filter((i) => i.ruleId.startsWith('test.dist.'));
    expect(dist.map((i) => [i.ruleId, i.status, (i.result as { packId: string }).packId])).toEqual([
      ['test.dist.marker-00', 'pass', 'test-dist'],
      ['test.dist.marker-01', 'pass', 'test-dist'],
      ['test.dist.marker-02', 'fail', 'test-dist'],
    ]);
    await pollUntil('host packs name test-dist 1.0.0 and its digest', async () =>
      (await admin.store.hostDetail(agentId)).host.packs.some((p) => p.id === 'test-dist' && p.version === '1.0.0' && p.sha256 === v1.sha256),
    );

    // Online: a newer version is pushed while connected.
    const v2 = await sign('1.1.0', 4);
    await packs().publishPackBundle({ agencyName: 'dhs', bundle: v2, actor: 'test', now: new Date().toISOString() });
    await pollUntil('pack 1.1.0 pushed and installed while online', () => logged(agent!.logs, 'Rule pack installed', { packId: 'test-dist', version: '1.1.0' }), 10_000);
    await pollUntil('the fourth rule of 1.1.0 stored', async () => (await admin.store.hostResults(agentId, { limit: 1000, offset: 0 })).items.some((i) => i.ruleId === 'test.dist.marker-03'));
    await pollUntil('host packs name test-dist 1.1.0', async () => (await admin.store.hostDetail(agentId)).host.packs.some((p) => p.id === 'test-dist' && p.version === '1.1.0' && p.sha256 === v2.sha256));

    // A compromised collector (or anyone with its database) can carry only what a trusted key signed.
    await packs().publishPackBundle({ agencyName: 'dhs', bundle: await sign('1.2.0', 5, otherKeyFile), actor: 'test', now: new Date().toISOString() });
    await pollUntil('untrusted key refused', () => logged(agent!.logs, 'Rule pack from the collector refused', { code: 'ERR_PACK_UNTRUSTED_KEY' }), 10_000);
    const v3 = await sign('1.3.0', 5);
    const tampered: PackBundle = { ...v3, pack: v3.pack.replace('severity: medium', 'severity: low') };
    await packs().publishPackBundle({ agencyName: 'dhs', bundle: tampered, actor: 'test', now: new Date().toISOString() });
    await pollUntil('tampered bundle refused', () => logged(agent!.logs, 'Rule pack from the collector refused', { code: 'ERR_PACK_SIGNATURE' }), 10_000);
    await packs().publishPackBundle({ agencyName: 'dhs', bundle: unsignedBundle({ pack: distPack('1.4.0', 5), packId: 'test-dist', version: '1.4.0' }), actor: 'test', now: new Date().toISOString() });
    await pollUntil('unsigned bundle refused', () => logged(agent!.logs, 'Rule pack from the collector refused', { code: 'ERR_PACK_UNSIGNED' }), 10_000);
    expect(logged(agent.logs, 'Rule pack installed', { version: '1.2.0' })).toBeUndefined();
    expect((await admin.store.hostResults(agentId, { limit: 1000, offset: 0 })).items.some((i) => i.ruleId === 'test.dist.marker-04')).toBe(false);
    expect(await agent.stop()).toBe(0);
    agent = undefined;

    // After a restart the installed pack is verified again and used; the refused ones never were installed.
    const once = await runRampart(['agent', 'run', '--once', '--timeout', '60', '--trusted-keys', trustedDir], a);
    expect(once.code, once.stderr).toBe(0);
    expect(logged(once.logs, 'Signed rule packs from the collector loaded')).toMatchObject({ installed: ['test-dist@1.1.0'] });
    // The collector resends the newest published bundle after welcome (1.4.0, unsigned): refused again.
    expect(logged(once.logs, 'Rule pack from the collector refused', { code: 'ERR_PACK_UNSIGNED' })).toBeTruthy();
    const status = await runRampart(['agent', 'status'], a);
    expect(JSON.parse(status.stdout).installedPacks).toEqual([expect.objectContaining({ packId: 'test-dist', version: '1.1.0', sha256: v2.sha256 })]);
  });
});
