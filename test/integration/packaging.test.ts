/**
 * Agent distribution end to end, on this (disposable, root) test machine: the bundled agent and
 * the single executable built by scripts/build-agent.mjs, then `rampart server package --format
 * deb` installed with dpkg, enrolled against a real collector, upgraded, removed and purged.
 * There is no systemd as PID 1 here, so the installed launcher is started the way the unit would
 * start it: as the rampart-agent account with the unit's ambient capabilities (setpriv).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineLock } from '../helpers/machine-lock.js';
import { packageCommand } from '../../server/cli/package.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/hosts');
const AGENCY = 'Packaging Test Agency';
const STATE = '/var/lib/rampart-agent';
const LAUNCHER = '/usr/lib/rampart-agent/rampart-agent-start';
const SYS_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

const has = (cmd: string) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).status === 0;
const prerequisites = has('dpkg-deb') && has('dpkg') && has('setpriv') && process.getuid?.() === 0;
if (!prerequisites && process.env.CI === 'true') {
  throw new Error('packaging tests need dpkg, dpkg-deb, setpriv and root (CI runs as root on Debian): refusing to skip in CI');
}
if (!prerequisites) process.stderr.write('packaging.test.ts: SKIPPED (needs root, dpkg, dpkg-deb and setpriv)\n');
/** rpmbuild and rpm come from Debian's `rpm` package (.ci/run installs it). */
const rpmTools = has('rpmbuild') && has('rpm');
if (prerequisites && !rpmTools && process.env.CI === 'true') throw new Error('the rpm packaging test needs rpmbuild and rpm (Debian package rpm): refusing to skip in CI');
if (prerequisites && !rpmTools) process.stderr.write('packaging.test.ts: rpm test SKIPPED (needs rpmbuild and rpm: apt-get install rpm)\n');

let tmp: string;
let agentDir: string;
let collector: TestCollector;
let port: number;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = { PATH: SYS_PATH }, timeoutMs = 150_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function buildPackage(version: string, extra: string[] = ['--format', 'deb']): Promise<string> {
  let out = '';
  const stdout = new (await import('node:stream')).Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  const code = await packageCommand(
    ['--agency', AGENCY, ...extra, '--out', path.join(tmp, 'debs'), '--server-url', `http://127.0.0.1:${port}`, '--package-version', version, '--agent-dir', agentDir, '--data-dir', collector.dataDir, '--uses', '5', '--expires', '1h'],
    { stdout, env: {} },
  );
  expect(code).toBe(0);
  return out.trim();
}

/** Start the installed agent as the unit does: the service account, ambient read capabilities. */
function startInstalled(args: string[], extraEnv: Record<string, string> = {}) {
  const caps = '+dac_read_search,+sys_ptrace,+net_admin';
  return run('setpriv', ['--reuid=rampart-agent', '--regid=rampart-agent', '--init-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, LAUNCHER, ...args], { PATH: SYS_PATH, ...extraEnv });
}

async function outboxFrames(): Promise<Map<string, string>> {
  const dir = path.join(STATE, 'outbox');
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.frame')).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await fs.readFile(path.join(dir, n), 'utf8')] as [string, string])));
}

const dpkgStatus = () => spawnSync('dpkg-query', ['-W', '-f', '${Status} ${Version}', 'rampart-agent'], { encoding: 'utf8' });

async function scanSummary(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = await run(cmd, [...args, 'scan', '--root', path.join(FIXTURES, 'debian12-default'), '--format', 'json', '--no-cache'], env);
  expect([0, 1], r.stderr).toContain(r.code);
  expect(r.stderr).not.toMatch(/Warning|require\(\)/);
  return (JSON.parse(r.stdout) as { summary: unknown }).summary;
}

describe.skipIf(!prerequisites)('agent distribution (bundle, single executable, deb install/upgrade/remove/purge)', { timeout: 240_000 }, () => {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    // Installs as root change this machine: a concurrent run of this file waits for this one.
    release = await machineLock('packaging');
    if (dpkgStatus().status === 0) spawnSync('dpkg', ['--purge', 'rampart-agent'], { stdio: 'ignore' });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-packaging-'));
    await fs.chmod(tmp, 0o755);
    agentDir = path.join(tmp, 'agent-build');
    const b = await run(process.execPath, [path.join(REPO, 'scripts/build-agent.mjs'), '--sea', '--out', agentDir], { PATH: process.env.PATH ?? SYS_PATH });
    expect(b.code, b.stderr).toBe(0);
    collector = await startTestCollector();
    port = Number(new URL(collector.url).port);
    await collector.store.createAgency(AGENCY);
  }, 1_140_000); // up to 15 min waiting for another run's installs, then the build

  afterAll(async () => {
    spawnSync('dpkg', ['--purge', 'rampart-agent'], { stdio: 'ignore' });
    if (existsSync('/usr/lib/rampart-agent/uninstall.sh')) spawnSync('sh', ['/usr/lib/rampart-agent/uninstall.sh', '--purge'], { stdio: 'ignore' });
    if (rpmTools && spawnSync('rpm', ['-q', 'rampart-agent']).status === 0) spawnSync('rpm', ['-e', '--nodeps', 'rampart-agent'], { stdio: 'ignore' });
    spawnSync('sh', ['-c', 'rm -rf /var/lib/rampart-agent /etc/rampart-agent; userdel rampart-agent; groupdel rampart-agent'], { stdio: 'ignore' });
    await collector?.dispose();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
    release?.();
  });

  it('bundles the agent into one file with no collector code or native addon, runnable with no node_modules', async () => {
    const bundle = readFileSync(path.join(agentDir, 'rampart-agent.mjs'), 'utf8');
    expect(bundle).not.toMatch(/better-sqlite3|fastify|\.node['"]\)/);
    expect(existsSync(path.join(agentDir, 'rules', 'directives.yaml'))).toBe(true);
    // Nothing above the build directory has a node_modules (it lives in the system temp dir).
    expect(existsSync(path.join(tmp, 'node_modules')) || existsSync(path.join(path.dirname(tmp), 'node_modules'))).toBe(false);
    const help = await run(process.execPath, [path.join(agentDir, 'rampart-agent.mjs'), '--help']);
    expect(help.stdout).toMatch(/scan/);
    expect(help.stdout).not.toMatch(/server start|report --agency/);
    const refused = await run(process.execPath, [path.join(agentDir, 'rampart-agent.mjs'), 'server', 'start']);
    expect(refused.code).toBe(2);
  });

  it('runs `scan` from the single executable with no Node.js on PATH, with the same verdicts as the bundle', async () => {
    // PATH = every tool of /usr/bin except node/npm (on this machine node lives in /usr/bin).
    const bin = path.join(tmp, 'path-without-node');
    await fs.mkdir(bin);
    for (const name of await fs.readdir('/usr/bin')) {
      if (/^(node|nodejs|npm|npx|corepack)$/.test(name)) continue;
      await fs.symlink(path.join('/usr/bin', name), path.join(bin, name));
    }
    const env = { PATH: `${bin}:/usr/sbin` };
    const which = spawnSync('which', ['node'], { env });
    expect(which.status).not.toBe(0);
    const sea = await scanSummary(path.join(agentDir, 'rampart-agent'), [], env);
    const mjs = await scanSummary(process.execPath, [path.join(agentDir, 'rampart-agent.mjs')], { PATH: SYS_PATH });
    expect(sea).toEqual(mjs);
    expect((sea as { total: number }).total).toBeGreaterThan(100);
    // install-service from the single executable: the executable itself is the whole command.
    const unitPath = path.join(tmp, 'sea.service');
    const unit = await run(path.join(agentDir, 'rampart-agent'), ['agent', 'install-service', '--unit-path', unitPath, '--state-dir', path.join(tmp, 'sea-state')], env);
    expect(unit.code, unit.stderr).toBe(0);
    expect(readFileSync(unitPath, 'utf8')).toContain(`ExecStart=${path.join(agentDir, 'rampart-agent')} agent run --state-dir ${path.join(tmp, 'sea-state')}\n`);
  });

  it('installs with dpkg, enrolls on first start as the service account, and its results arrive', async () => {
    const deb = await buildPackage('0.1.0-1');
    const install = await run('dpkg', ['-i', deb]);
    expect(install.code, install.stderr + install.stdout).toBe(0);
    expect(dpkgStatus().stdout).toBe('install ok installed 0.1.0-1');
    expect(spawnSync('getent', ['passwd', 'rampart-agent'], { encoding: 'utf8' }).stdout).toMatch(/nologin/);
    const st = await fs.stat(STATE);
    expect(st.mode & 0o777).toBe(0o700);
    const env = readFileSync('/etc/rampart-agent/agent.env', 'utf8');
    expect(env).toContain(`RAMPART_SERVER='http://127.0.0.1:${port}'`);
    expect(env).toMatch(/RAMPART_ENROLL_TOKEN='rpe_/);
    expect((await fs.stat('/etc/rampart-agent/agent.env')).mode & 0o777).toBe(0o640);
    expect(readFileSync('/lib/systemd/system/rampart-agent.service', 'utf8')).toMatch(/User=rampart-agent[\s\S]*ExecStart=\/bin\/sh \/usr\/lib\/rampart-agent\/rampart-agent-start agent run/);

    const first = await startInstalled(['agent', 'run', '--once', '--timeout', '120']);
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    expect(first.stderr).toContain('Enrolled');
    // The scan process saved its V8 code cache (agent/worker/code-cache.ts) where the unit lets it write.
    expect(readdirSync(path.join(STATE, 'cache')).filter((n) => n.endsWith('.v8cache'))).toHaveLength(1);
    const identity = JSON.parse(readFileSync(path.join(STATE, 'identity.json'), 'utf8')) as { agentId: string };
    expect((await fs.stat(path.join(STATE, 'identity.json'))).uid).toBe(Number(spawnSync('id', ['-u', 'rampart-agent'], { encoding: 'utf8' }).stdout.trim()));
    const agents = await collector.store.listAgents(AGENCY);
    expect(agents.map((a) => a.id)).toEqual([identity.agentId]);
    const a = agents[0]!;
    expect(a.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(a.counts.pass + a.counts.fail + a.counts.error + a.counts.notApplicable).toBeGreaterThan(100);
    expect(a.maxSeq).toBe(a.seqCount);
  });

  it('upgrades in place to a newer package without re-enrolling and without losing the outbox', async () => {
    const before = JSON.parse(readFileSync(path.join(STATE, 'identity.json'), 'utf8')) as { agentId: string };
    const key = readFileSync(path.join(STATE, 'agent-key.pem'), 'utf8');
    const seqBefore = (await collector.store.getAgent(before.agentId))!.maxSeq;
    // Collector down: a scan of another machine's state queues frames the agent cannot deliver.
    const dataDir = collector.dataDir;
    await collector.close();
    const offline = await startInstalled(['agent', 'run', '--once', '--timeout', '3'], { RAMPART_FIXTURE_ROOT: path.join(FIXTURES, 'debian12-hardened') });
    expect(offline.code).toBe(3);
    const queued = await outboxFrames();
    expect(queued.size).toBeGreaterThan(0);

    collector = await startTestCollector({ port }, dataDir);
    const deb2 = await buildPackage('0.1.0-2');
    const upgrade = await run('dpkg', ['-i', deb2]);
    expect(upgrade.code, upgrade.stderr + upgrade.stdout).toBe(0);
    expect(dpkgStatus().stdout).toBe('install ok installed 0.1.0-2');
    expect(JSON.parse(readFileSync('/usr/lib/rampart-agent/package-info.json', 'utf8')).version).toBe('0.1.0-2');
    expect(JSON.parse(readFileSync(path.join(STATE, 'identity.json'), 'utf8'))).toEqual(before);
    expect(readFileSync(path.join(STATE, 'agent-key.pem'), 'utf8')).toBe(key);
    expect(await outboxFrames()).toEqual(queued);

    const after = await startInstalled(['agent', 'run', '--once', '--timeout', '120'], { RAMPART_FIXTURE_ROOT: path.join(FIXTURES, 'debian12-hardened') });
    expect(after.code, after.stderr.slice(-3000)).toBe(0);
    expect(after.stderr).not.toContain('Enrolling');
    expect((await outboxFrames()).size).toBe(0);
    const agents = await collector.store.listAgents(AGENCY);
    expect(agents.map((x) => x.id)).toEqual([before.agentId]);
    expect(agents[0]!.maxSeq).toBeGreaterThan(seqBefore);
    expect(agents[0]!.maxSeq).toBe(agents[0]!.seqCount);
  });

  it('removes everything but the state, and purge removes the state too', async () => {
    const removed = await run('dpkg', ['-r', 'rampart-agent']);
    expect(removed.code, removed.stderr).toBe(0);
    for (const p of ['/usr/lib/rampart-agent', '/usr/bin/rampart-agent', '/etc/rampart-agent', '/lib/systemd/system/rampart-agent.service', '/etc/systemd/system/multi-user.target.wants/rampart-agent.service']) {
      expect(existsSync(p), p).toBe(false);
    }
    expect(existsSync(path.join(STATE, 'identity.json'))).toBe(true);
    expect(existsSync(path.join(STATE, 'agent-key.pem'))).toBe(true);

    const purged = await run('dpkg', ['--purge', 'rampart-agent']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(existsSync(STATE)).toBe(false);
    expect(spawnSync('getent', ['passwd', 'rampart-agent']).status).not.toBe(0);
    expect(dpkgStatus().status).not.toBe(0);
  });
  it('installs, upgrades and removes from the tar installer (any systemd Linux), with the node runtime', async () => {
    const unpack = async (version: string) => {
      const tgz = await buildPackage(version, ['--format', 'tar', '--runtime', 'node']);
      const dir = path.join(tmp, `tar-${version}`);
      await fs.mkdir(dir);
      expect((await run('tar', ['-C', dir, '-xzf', tgz])).code).toBe(0);
      const [top] = await fs.readdir(dir);
      return path.join(dir, top!);
    };
    const libWasLink = (await fs.lstat('/lib')).isSymbolicLink();
    const v1 = await unpack('0.1.0-1');
    const inst = await run('sh', [path.join(v1, 'install.sh')]);
    expect(inst.code, inst.stderr).toBe(0);
    // The payload has no directory entries: /lib (a symlink to usr/lib on merged-/usr hosts) stays as it is.
    expect((await fs.lstat('/lib')).isSymbolicLink()).toBe(libWasLink);
    expect(readFileSync('/usr/lib/rampart-agent/rampart-agent', 'utf8')).toMatch(/^#!\/bin\/sh[\s\S]*rampart-agent\.mjs/);
    expect(existsSync('/lib/systemd/system/rampart-agent.service')).toBe(true);
    const first = await startInstalled(['agent', 'run', '--once', '--timeout', '120'], { RAMPART_FIXTURE_ROOT: path.join(FIXTURES, 'debian12-default') });
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    const identity = readFileSync(path.join(STATE, 'identity.json'), 'utf8');

    const v2 = await unpack('0.1.0-2');
    const up = await run('sh', [path.join(v2, 'install.sh')]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('upgraded from 0.1.0-1');
    expect(readFileSync(path.join(STATE, 'identity.json'), 'utf8')).toBe(identity);
    const again = await startInstalled(['agent', 'status']);
    expect(JSON.parse(again.stdout)).toMatchObject({ enrolled: true, agentId: JSON.parse(identity).agentId, outboxDepth: 0 });

    const removed = await run('sh', ['/usr/lib/rampart-agent/uninstall.sh']);
    expect(removed.code, removed.stderr).toBe(0);
    for (const p of ['/usr/lib/rampart-agent', '/usr/bin/rampart-agent', '/etc/rampart-agent', '/lib/systemd/system/rampart-agent.service']) expect(existsSync(p), p).toBe(false);
    expect(readFileSync(path.join(STATE, 'identity.json'), 'utf8')).toBe(identity);

    expect((await run('sh', [path.join(v2, 'install.sh')])).code).toBe(0);
    const purged = await run('sh', ['/usr/lib/rampart-agent/uninstall.sh', '--purge']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(existsSync(STATE)).toBe(false);
    expect(existsSync('/usr/lib/rampart-agent')).toBe(false);
    expect(spawnSync('getent', ['passwd', 'rampart-agent']).status).not.toBe(0);
  });
  it.skipIf(!rpmTools)('installs, upgrades and erases the rpm (rpmbuild) with rpm scriptlet semantics, leaving only state', async () => {
    const rpmFile = async (version: string) => {
      const file = await buildPackage(version, ['--format', 'rpm']);
      expect(path.basename(file)).toMatch(/^rampart-agent-0\.1\.0-\d\.packaging-test-agency\.x86_64\.rpm$/);
      return file;
    };
    const v1 = await rpmFile('0.1.0-1');
    const files = await run('rpm', ['-qlp', v1]);
    expect(files.stdout).toContain('/usr/lib/systemd/system/rampart-agent.service');
    const inst = await run('rpm', ['-i', '--nodeps', v1]);
    expect(inst.code, inst.stderr).toBe(0);
    expect((await run('rpm', ['-q', 'rampart-agent'])).stdout.trim()).toBe('rampart-agent-0.1.0-1.x86_64');
    // The single executable survived rpmbuild (nothing stripped): it still carries the agent.
    expect((await run('/usr/lib/rampart-agent/rampart-agent', ['--version'])).stdout).toMatch(/^rampart-agent \d/);
    const first = await startInstalled(['agent', 'run', '--once', '--timeout', '120'], { RAMPART_FIXTURE_ROOT: path.join(FIXTURES, 'debian12-default') });
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    const identity = readFileSync(path.join(STATE, 'identity.json'), 'utf8');

    const up = await run('rpm', ['-U', '--nodeps', await rpmFile('0.1.0-2')]);
    expect(up.code, up.stderr).toBe(0);
    expect((await run('rpm', ['-q', 'rampart-agent'])).stdout.trim()).toBe('rampart-agent-0.1.0-2.x86_64');
    expect(readFileSync(path.join(STATE, 'identity.json'), 'utf8')).toBe(identity);
    expect(existsSync('/usr/lib/rampart-agent/rampart-agent')).toBe(true);

    const erased = await run('rpm', ['-e', '--nodeps', 'rampart-agent']);
    expect(erased.code, erased.stderr).toBe(0);
    for (const p of ['/usr/lib/rampart-agent', '/usr/bin/rampart-agent', '/etc/rampart-agent', '/usr/lib/systemd/system/rampart-agent.service', '/etc/systemd/system/multi-user.target.wants/rampart-agent.service']) {
      expect(existsSync(p), p).toBe(false);
    }
    expect(readFileSync(path.join(STATE, 'identity.json'), 'utf8')).toBe(identity);
  });
});
