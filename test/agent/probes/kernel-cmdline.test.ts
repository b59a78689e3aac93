import { afterEach, describe, expect, it } from 'vitest';
import { kernelCmdlineProbe } from '../../../agent/probes/kernel-cmdline.js';
import { argValue, parseGrubDefaults, splitCmdline } from '../../../agent/sources/boot-cmdline.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: Record<string, unknown>) => kernelCmdlineProbe.run(kernelCmdlineProbe.params.parse(params), ctx);
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('kernel-cmdline probe', () => {
  it('parses this machine\'s /proc/cmdline up to "--" and finds no boot loader (a container)', async () => {
    const ctx = await fixtureContext('debian12-default');
    const obs = await run(ctx, { parameter: 'audit' });
    expect(obs.status).toBe('observed');
    if (obs.status !== 'observed') return;
    expect(obs.values.runtime).toContain('nomodule');
    expect(obs.values.runtime).not.toContain('--firecracker-init');
    expect(obs.values).toMatchObject({ runtimeValue: null, bootloader: null, bootloaderValue: null, bootEntriesValues: [], kernelCmdline: null });
    expect((await run(ctx, { parameter: 'audit', scope: 'persisted' })).status).toBe('not-applicable');
  });

  it('reads GRUB_CMDLINE_LINUX and grub.d drop-ins that extend GRUB_CMDLINE_LINUX_DEFAULT (ubuntu2204-hardened)', async () => {
    const ctx = await fixtureContext('ubuntu2204-hardened');
    expect(await run(ctx, { parameter: 'fips', scope: 'persisted' })).toMatchObject({
      status: 'observed',
      values: { bootloaderValue: '1', grubLinuxValue: null, bootloaderFiles: ['/etc/default/grub', '/etc/default/grub.d/99-ubuntu-fips.cfg'] },
    });
    expect(await run(ctx, { parameter: 'audit_backlog_limit' })).toMatchObject({ status: 'observed', values: { runtimeValue: '8192', bootloaderValue: '8192', grubLinuxValue: '8192' } });
    expect(await run(ctx, { parameter: 'ipv6.disable', scope: 'runtime' })).toMatchObject({ status: 'observed', values: { runtimeValue: '1' } });
  });

  it('reads BLS entries on RHEL', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'), { parameter: 'audit', scope: 'persisted' });
    expect(obs).toMatchObject({ status: 'observed', values: { bootloaderValue: '1', bootEntriesValues: ['1'] } });
    const dflt = await run(await fixtureContext('rhel9-default'), { parameter: 'audit', scope: 'persisted' });
    expect(dflt).toMatchObject({ status: 'observed', values: { bootloaderValue: null } });
    if (dflt.status !== 'observed') return;
    const values = dflt.values.bootEntriesValues as (string | null)[];
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => v === null)).toBe(true);
  });

  it('is not-applicable for the runtime scope on an offline root', async () => {
    const dir = makeRoot({ 'etc/default/grub': 'GRUB_CMDLINE_LINUX="audit=1"\n' });
    roots.push(dir);
    const ctx = await rootContext(dir, 'offline');
    expect((await run(ctx, { parameter: 'audit', scope: 'runtime' })).status).toBe('not-applicable');
    expect(await run(ctx, { parameter: 'audit' })).toMatchObject({ status: 'observed', values: { runtimeAvailable: false, runtimeValue: null, bootloaderValue: '1' } });
  });

  it('splits and looks up arguments like the kernel', () => {
    expect(splitCmdline('root=/dev/sda1 ro "acpi_osi=Linux Foo" quiet -- init-arg')).toEqual(['root=/dev/sda1', 'ro', 'acpi_osi=Linux Foo', 'quiet']);
    expect(argValue(['audit-backlog-limit=64', 'audit_backlog_limit=8192'], 'audit_backlog_limit')).toBe('8192');
    expect(argValue(['quiet'], 'quiet')).toBe('');
    const vars = new Map<string, string>();
    parseGrubDefaults('GRUB_CMDLINE_LINUX="a=1"\nGRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} b=2"\nGRUB_X=\'$literal\'\n', vars);
    expect(vars.get('GRUB_CMDLINE_LINUX')).toBe('a=1 b=2');
    expect(vars.get('GRUB_X')).toBe('$literal');
  });
});
