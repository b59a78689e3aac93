import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemdUnitProbe } from '../../../agent/probes/systemd-unit.js';
import { parseListUnits } from '../../../agent/sources/systemd-units.js';
import { FixtureHost, offlineRootHost } from '../../../agent/host/fs-host.js';
import { createScanContext, type ScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import type { Host } from '../../../agent/host/host.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';

async function ctxFor(host: Host): Promise<ScanContext> {
  return createScanContext(host, await readHostFacts(host));
}
const run = (ctx: ScanContext, params: unknown) => systemdUnitProbe.run(systemdUnitProbe.params.parse(params), ctx);

describe('systemd-unit probe', () => {
  it('reports enablement and the running state on a systemd host', async () => {
    const ctx = await fixtureContext('rhel9-default');
    expect(await run(ctx, { units: ['chronyd', 'chrony'] })).toMatchObject({
      status: 'observed',
      values: { unit: 'chronyd.service', exists: true, enabled: 'enabled', masked: false, active: 'active', sub: 'running', activeKnown: true },
    });
  });

  it('picks the real unit over an Alias= link (Ubuntu ssh.service, not its sshd.service alias)', async () => {
    const ctx = await fixtureContext('ubuntu2204-default');
    expect(await run(ctx, { units: ['sshd', 'ssh'] })).toMatchObject({ values: { unit: 'ssh.service', enabled: 'enabled', active: 'active' } });
    expect(await run(ctx, { unit: 'sshd' })).toMatchObject({ values: { unit: 'sshd.service', enabled: 'alias' } });
  });

  it('says not-found and inactive for a unit that does not exist', async () => {
    const ctx = await fixtureContext('ubuntu2204-default');
    expect(await run(ctx, { unit: 'auditd' })).toMatchObject({ values: { exists: false, enabled: 'not-found', active: 'inactive', masked: false } });
  });

  it('sees masked units (links to /dev/null) even when the package ships the unit file', async () => {
    const ctx = await fixtureContext('rhel9-hardened');
    expect(await run(ctx, { unit: 'rpcbind.socket' })).toMatchObject({ values: { exists: true, enabled: 'masked', masked: true, active: 'inactive' } });
    expect(await run(ctx, { unit: 'rpcbind' })).toMatchObject({ values: { masked: true } });
    expect(await run(ctx, { unit: 'nfs-server' })).toMatchObject({ values: { enabled: 'disabled', masked: false, active: 'inactive' } });
  });

  it('calls a unit without an [Install] section static', async () => {
    const ctx = await fixtureContext('debian12-hardened');
    expect(await run(ctx, { unit: 'dailyaidecheck.service' })).toMatchObject({ values: { enabled: 'static' } });
    expect(await run(ctx, { unit: 'dailyaidecheck.timer' })).toMatchObject({ values: { enabled: 'enabled' } });
  });

  it('reports active: null with a note where systemd is not PID 1 (a container)', async () => {
    const ctx = await fixtureContext('debian12-default');
    const obs = await run(ctx, { unit: 'systemd-timesyncd' });
    expect(obs).toMatchObject({ status: 'observed', values: { exists: true, enabled: 'enabled', active: null, activeKnown: false } });
    if (obs.status === 'observed') expect(obs.values.note).toMatch(/PID 1 is "tini"/);
  });

  it('is not applicable for an active-state check where that state cannot be known, so a process check decides', async () => {
    const container = await run(await fixtureContext('debian12-hardened'), { unit: 'chrony', needActive: true });
    expect(container.status).toBe('not-applicable');
    const offline = await run(await ctxFor(offlineRootHost(fixtureRoot('rhel9-default'))), { unit: 'sshd', needActive: true });
    expect(offline.status).toBe('not-applicable');
    const offlineEnablement = await run(await ctxFor(offlineRootHost(fixtureRoot('rhel9-default'))), { unit: 'sshd' });
    expect(offlineEnablement).toMatchObject({ status: 'observed', values: { enabled: 'enabled', active: null } });
  });

  it('is an error when systemd is PID 1 but systemctl cannot be asked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-unit-'));
    mkdirSync(path.join(dir, 'proc/1'), { recursive: true });
    writeFileSync(path.join(dir, 'proc/1/comm'), 'systemd\n');
    mkdirSync(path.join(dir, 'usr/lib/systemd/system'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/lib/systemd/system/x.service'), '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n');
    mkdirSync(path.join(dir, 'etc/systemd/system'), { recursive: true });
    symlinkSync('/dev/null', path.join(dir, 'etc/systemd/system/y.service'));
    writeFileSync(path.join(dir, 'etc/systemd/system/z.service'), '');
    const ctx = await ctxFor(new FixtureHost(dir));
    expect(await run(ctx, { unit: 'x', needActive: true })).toMatchObject({ status: 'error', code: 'ERR_PROBE_UNAVAILABLE' });
    expect(await run(ctx, { unit: 'x' })).toMatchObject({ values: { enabled: 'disabled', active: null } });
    expect(await run(ctx, { unit: 'y' })).toMatchObject({ values: { enabled: 'masked', exists: true } });
    expect(await run(ctx, { unit: 'z' })).toMatchObject({ values: { enabled: 'masked', masked: true } });
  });

  it('is not applicable on a host without systemd', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-unit-'));
    expect((await run(await ctxFor(new FixtureHost(dir)), { unit: 'sshd' })).status).toBe('not-applicable');
  });

  it('parses systemctl list-units output, bullets included', () => {
    const units = parseListUnits('● foo.service not-found inactive dead foo.service\nsshd.service loaded active running OpenSSH server daemon\n');
    expect(units.get('foo.service')).toEqual({ load: 'not-found', active: 'inactive', sub: 'dead' });
    expect(units.get('sshd.service')?.active).toBe('active');
  });
});
