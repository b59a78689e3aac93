/**
 * What an agent installer bakes in: configuration values that stay inert in a shell file, maintainer
 * scripts that are valid POSIX sh, the hardened unit run as the service account, and a staged tree
 * with the agent, its rules and private configuration.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEnvFile, renderLauncher, renderNodeWrapper, renderPackageUnit, stagePayload } from '../../../server/packaging/agent-payload.js';
import { renderControl } from '../../../server/packaging/deb.js';
import { renderPostinst, renderPostrm, renderPrerm } from '../../../server/packaging/maintainer-scripts.js';
import { PackageSpecSchema, agencySlug, type PackageSpec } from '../../../server/packaging/package-spec.js';
import { renderInstallScript, renderUninstallScript } from '../../../server/packaging/tar.js';
import { renderSpec, rpmVersion } from '../../../server/packaging/rpm.js';

let tmp: string;
let spec: PackageSpec;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-payload-'));
  const agentDir = path.join(tmp, 'agent');
  await fs.mkdir(path.join(agentDir, 'rules'), { recursive: true });
  await fs.writeFile(path.join(agentDir, 'rampart-agent.mjs'), '// bundle\n');
  await fs.writeFile(path.join(agentDir, 'scan-worker.cjs'), '// scan-worker bundle\n');
  await fs.writeFile(path.join(agentDir, 'scan-worker-boot.cjs'), '// its boot script\n');
  await fs.writeFile(path.join(agentDir, 'rules', 'directives.yaml'), '[]\n');
  await fs.writeFile(path.join(agentDir, 'rules', 'pack.yaml'), '[]\n');
  spec = PackageSpecSchema.parse({
    agency: 'Dept of Tests',
    serverUrl: 'https://collector.example.gov:8420/',
    token: 'rpe_' + 'A'.repeat(43),
    packageVersion: '0.1.0-3',
    runtime: 'node',
    agentDir,
    caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    trustedKeys: [{ name: 'packs-2026', pem: '-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n' }],
    agentVersion: '0.1.0',
  });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('agent installer payload', () => {
  it('refuses values that could escape their quotes in the configuration file', () => {
    const base = { ...spec };
    expect(PackageSpecSchema.safeParse({ ...base, agency: "O'Brien Agency" }).success).toBe(false);
    expect(PackageSpecSchema.safeParse({ ...base, serverUrl: 'https://x.gov/$(reboot)' }).success).toBe(false);
    expect(PackageSpecSchema.safeParse({ ...base, token: "rpe_abc'; rm -rf /" }).success).toBe(false);
    expect(PackageSpecSchema.safeParse({ ...base, packageVersion: '1.0 beta' }).success).toBe(false);
    expect(agencySlug('Dept of Tests')).toBe('dept-of-tests');
  });

  it('writes the collector URL, CA, trusted keys and token as single-quoted shell assignments that read back unchanged', async () => {
    const env = renderEnvFile(spec, '2026-11-26T00:00:00.000Z');
    expect(env).toContain("RAMPART_SERVER='https://collector.example.gov:8420'");
    expect(env).toContain("RAMPART_CA_FILE='/etc/rampart-agent/ca.pem'");
    expect(env).toContain("RAMPART_TRUSTED_KEYS='/etc/rampart-agent/trusted-keys'");
    const file = path.join(tmp, 'agent.env');
    await fs.writeFile(file, env);
    const r = spawnSync('sh', ['-c', '. "$1"; printf "%s|%s|%s" "$RAMPART_PACKAGE_AGENCY" "$RAMPART_ENROLL_TOKEN" "$RAMPART_STATE_DIR"', 'sh', file], { encoding: 'utf8', env: {} });
    expect(r.stdout).toBe(`Dept of Tests|${spec.token}|/var/lib/rampart-agent`);
  });

  it('renders maintainer, install and launcher scripts that are valid POSIX sh', async () => {
    const scripts = { postinst: renderPostinst(), prerm: renderPrerm(), postrm: renderPostrm(), launcher: renderLauncher(), wrapper: renderNodeWrapper(), install: renderInstallScript('0.1.0-3'), uninstall: renderUninstallScript() };
    for (const [name, text] of Object.entries(scripts)) {
      const file = path.join(tmp, `${name}.sh`);
      await fs.writeFile(file, text);
      const r = spawnSync('sh', ['-n', file], { encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(text.startsWith('#!/bin/sh\n'), name).toBe(true);
    }
    // systemd is only asked when it runs; purge is the only path that deletes state.
    expect(scripts.postinst).toContain('[ -d /run/systemd/system ]');
    expect(scripts.postrm.indexOf('rm -rf /var/lib/rampart-agent')).toBeGreaterThan(scripts.postrm.indexOf('if [ "$1" = purge ]'));
  });

  it('runs the hardened unit as the rampart-agent account through the first-start launcher', () => {
    const unit = renderPackageUnit();
    expect(unit).toContain('User=rampart-agent');
    expect(unit).toContain('ExecStart=/bin/sh /usr/lib/rampart-agent/rampart-agent-start agent run --state-dir /var/lib/rampart-agent');
    expect(unit).toContain('ReadWritePaths=/var/lib/rampart-agent');
    expect(unit).toContain('AmbientCapabilities=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_NET_ADMIN');
    expect(unit).toContain('Documentation=file:///usr/share/doc/rampart-agent/install.md');
    expect(renderControl(spec, 1234)).toMatch(/^Package: rampart-agent\nVersion: 0\.1\.0-3\nArchitecture: all\n/);
  });

  it('stages the agent, its rules, a private configuration and the unit', async () => {
    const root = path.join(tmp, 'root');
    const files = await stagePayload(root, spec, '2026-11-26T00:00:00.000Z');
    expect(files).toEqual(
      expect.arrayContaining([
        '/usr/lib/rampart-agent/rampart-agent.mjs',
        '/usr/lib/rampart-agent/scan-worker.cjs',
        '/usr/lib/rampart-agent/scan-worker-boot.cjs',
        '/usr/lib/rampart-agent/rampart-agent',
        '/usr/lib/rampart-agent/rules/directives.yaml',
        '/usr/lib/rampart-agent/rules/pack.yaml',
        '/usr/lib/rampart-agent/rampart-agent-start',
        '/usr/bin/rampart-agent',
        '/etc/rampart-agent/agent.env',
        '/etc/rampart-agent/ca.pem',
        '/etc/rampart-agent/trusted-keys/packs-2026.pub',
        '/lib/systemd/system/rampart-agent.service',
      ]),
    );
    expect((await fs.stat(path.join(root, 'etc/rampart-agent/agent.env'))).mode & 0o777).toBe(0o640);
    expect((await fs.stat(path.join(root, 'usr/lib/rampart-agent/rampart-agent-start'))).mode & 0o777).toBe(0o755);
    expect(await fs.readlink(path.join(root, 'usr/bin/rampart-agent'))).toBe('../lib/rampart-agent/rampart-agent');
    const info = JSON.parse(await fs.readFile(path.join(root, 'usr/lib/rampart-agent/package-info.json'), 'utf8'));
    expect(info).toMatchObject({ version: '0.1.0-3', agency: 'Dept of Tests', runtime: 'node' });
    expect(JSON.stringify(info)).not.toContain(spec.token);
  });
  it('maps rpm scriptlet counts onto the same maintainer scripts: upgrades never remove, erase does', async () => {
    expect(rpmVersion('0.1.0-2')).toEqual({ version: '0.1.0', release: '2' });
    expect(rpmVersion('0.2.0')).toEqual({ version: '0.2.0', release: '1' });
    const text = renderSpec(spec, [{ path: '/usr/lib/rampart-agent/rampart-agent', mode: 0o100755 }, { path: '/usr/lib/rampart-agent', mode: 0o755, dir: true }], 'now');
    expect(text).toContain('%attr(0755,root,root) /usr/lib/rampart-agent/rampart-agent');
    expect(text).toContain('%dir /usr/lib/rampart-agent');
    expect(text).toContain('%global __strip /bin/true');
    const section = (name: string) => text.split(`%${name}\n`)[1]!.split(/\n%(post|preun|postun)\n/)[0]!;
    for (const [name, count, expectRan] of [['post', '1', true], ['post', '2', true], ['preun', '1', false], ['preun', '0', true], ['postun', '1', false], ['postun', '0', true]] as const) {
      // Run each scriptlet's argument mapping only (the part before the maintainer script body).
      const lines = section(name).split('\n');
      const head = lines.slice(0, lines.findIndex((l) => l.startsWith('#'))).join('\n');
      const r = spawnSync('sh', ['-c', `${head}\necho "ran:$1:$2"`, 'sh', count], { encoding: 'utf8' });
      expect(r.stdout.trim().startsWith('ran:'), `${name} ${count}`).toBe(expectRan);
      if (name === 'post') expect(r.stdout.trim()).toBe(count === '1' ? 'ran:configure:' : 'ran:configure:upgrade');
      if (expectRan && name !== 'post') expect(r.stdout.trim()).toBe('ran:remove:');
      const file = path.join(tmp, `${name}-${count}.sh`);
      await fs.writeFile(file, section(name));
      expect(spawnSync('sh', ['-n', file]).status, name).toBe(0);
    }
  });
});
