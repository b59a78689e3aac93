import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageProbe } from '../../../agent/probes/package.js';
import { offlineRootHost, FixtureHost } from '../../../agent/host/fs-host.js';
import { createScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import type { Host } from '../../../agent/host/host.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';

async function ctxFor(host: Host) {
  return createScanContext(host, await readHostFacts(host));
}

async function run(ctx: Awaited<ReturnType<typeof ctxFor>>, params: unknown) {
  return packageProbe.run(packageProbe.params.parse(params), ctx);
}

function tempRoot(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-pkg-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  return dir;
}

describe('package probe', () => {
  it('reads the dpkg status captured from the development machine', async () => {
    const ctx = await fixtureContext('debian12-default');
    const obs = await run(ctx, { name: 'systemd-timesyncd' });
    expect(obs).toMatchObject({ status: 'observed', values: { installed: true, manager: 'dpkg', name: 'systemd-timesyncd', state: 'installed' } });
    if (obs.status === 'observed') expect(obs.values.version).toMatch(/^252\./);
    const ssh = await run(ctx, { name: 'openssh-server' });
    expect(ssh).toMatchObject({ status: 'observed', values: { installed: false, version: null, state: 'not-installed' } });
  });

  it('counts "deinstall ok config-files" as not installed', async () => {
    const ctx = await fixtureContext('debian12-hardened');
    const obs = await run(ctx, { names: ['telnetd', 'inetutils-telnetd', 'telnet-server'] });
    expect(obs).toMatchObject({ status: 'observed', values: { installed: false, name: 'inetutils-telnetd', state: 'config-files' } });
    const timesyncd = await run(ctx, { name: 'systemd-timesyncd' });
    expect(timesyncd).toMatchObject({ status: 'observed', values: { installed: false, state: 'config-files' } });
  });

  it('reports the first installed name of several (Debian and RHEL names in one rule)', async () => {
    const deb = await run(await fixtureContext('debian12-hardened'), { names: ['audit', 'auditd'] });
    expect(deb).toMatchObject({ status: 'observed', values: { installed: true, name: 'auditd', version: '1:3.0.9-1' } });
    const rhel = await run(await fixtureContext('rhel9-default'), { names: ['auditd', 'audit'] });
    expect(rhel).toMatchObject({ status: 'observed', values: { installed: true, name: 'audit', manager: 'rpm', version: '0:3.1.2-2.el9' } });
  });

  it('lists every installed version of a multi-version rpm such as the kernel', async () => {
    const obs = await run(await fixtureContext('rhel9-default'), { name: 'kernel' });
    expect(obs.status === 'observed' && obs.values.versions).toEqual(['0:5.14.0-427.13.1.el9_4', '0:5.14.0-427.22.1.el9_4']);
  });

  it('treats half-configured and triggers-pending packages as installed and half-installed as absent', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': [
        'Package: a\nStatus: install ok half-configured\nVersion: 1\n',
        'Package: b\nStatus: install ok triggers-pending\nVersion: 2\nDescription: multi\n line\n .\n more\n',
        'Package: c\nStatus: install reinstreq half-installed\nVersion: 3\n',
        'Package: d\nStatus: hold ok installed\nVersion: 4\n',
      ].join('\n'),
    });
    const ctx = await ctxFor(new FixtureHost(dir));
    expect(await run(ctx, { name: 'a' })).toMatchObject({ values: { installed: true } });
    expect(await run(ctx, { name: 'b' })).toMatchObject({ values: { installed: true, version: '2' } });
    expect(await run(ctx, { name: 'c' })).toMatchObject({ values: { installed: false, state: 'half-installed' } });
    expect(await run(ctx, { name: 'd' })).toMatchObject({ values: { installed: true, version: '4' } });
  });

  it('is not applicable on an offline RHEL root, whose rpm database needs the rpm program', async () => {
    const ctx = await ctxFor(offlineRootHost(fixtureRoot('rhel9-default')));
    const obs = await run(ctx, { name: 'openssh-server' });
    expect(obs.status).toBe('not-applicable');
    if (obs.status === 'not-applicable') expect(obs.reason).toMatch(/rpm database .*offline/);
  });

  it('reads dpkg on an offline Debian root (it is a plain file)', async () => {
    const ctx = await ctxFor(offlineRootHost(fixtureRoot('debian12-default')));
    expect(await run(ctx, { name: 'systemd' })).toMatchObject({ status: 'observed', values: { installed: true } });
  });

  it('is not applicable where there is no package database at all', async () => {
    const ctx = await ctxFor(new FixtureHost(tempRoot({ 'etc/os-release': 'ID=alpine\n' })));
    expect((await run(ctx, { name: 'openssh-server' })).status).toBe('not-applicable');
  });

  it('is an error on a live host with an rpm database but no rpm program', async () => {
    const ctx = await ctxFor(new FixtureHost(tempRoot({ 'var/lib/rpm/rpmdb.sqlite': '' })));
    expect(await run(ctx, { name: 'bash' })).toMatchObject({ status: 'error', code: 'ERR_PROBE_UNAVAILABLE' });
  });

  it('reads the package database once per scan however many checks ask', async () => {
    const ctx = await fixtureContext('rhel9-hardened');
    let runs = 0;
    const host = ctx.host;
    const counting = Object.create(host) as Host;
    counting.run = async (id) => {
      if (id === 'rpm-packages') runs++;
      return host.run(id);
    };
    const c2 = createScanContext(counting, ctx.facts);
    await Promise.all(['aide', 'audit', 'chrony', 'postfix'].map((name) => run(c2, { name })));
    expect(runs).toBe(1);
  });
});
