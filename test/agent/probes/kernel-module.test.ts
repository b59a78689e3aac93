import { afterEach, describe, expect, it } from 'vitest';
import { kernelModuleProbe } from '../../../agent/probes/kernel-module.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, name: string, scope?: 'runtime' | 'persisted') =>
  kernelModuleProbe.run(kernelModuleProbe.params.parse(scope ? { name, scope } : { name }), ctx);

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('kernel-module probe', () => {
  it('on this machine (no modprobe.d, no module support) finds dccp neither loaded nor disabled', async () => {
    const obs = await run(await fixtureContext('debian12-default'), 'dccp');
    expect(obs).toMatchObject({
      status: 'observed',
      values: { loaded: false, runtimeAvailable: true, blacklisted: false, installCommand: null, installDisabled: false, builtin: null, configFiles: [] },
    });
  });

  it('sees RHEL blacklisting sctp without an install line, and bluetooth loaded', async () => {
    const ctx = await fixtureContext('rhel9-default');
    expect(await run(ctx, 'sctp')).toMatchObject({
      status: 'observed',
      values: { blacklisted: true, installCommand: null, installDisabled: false, builtin: false, configFiles: ['/etc/modprobe.d/sctp-blacklist.conf'] },
    });
    expect(await run(ctx, 'bluetooth', 'runtime')).toMatchObject({ status: 'observed', values: { loaded: true } });
  });

  it('sees the STIG remediation on rhel9-hardened', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'), 'tipc');
    expect(obs).toMatchObject({
      status: 'observed',
      values: { loaded: false, blacklisted: true, installCommand: '/bin/false', installDisabled: true, configFiles: ['/etc/modprobe.d/tipc.conf'] },
    });
  });

  it('masks same-named files, treats - and _ alike, joins continuation lines and uses the first install line', async () => {
    const dir = makeRoot({
      'proc/modules': 'nf_conntrack 1 0 - Live 0x0\n',
      'lib/modprobe.d/disable.conf': 'install dccp /bin/true\nblacklist dccp\n',
      'etc/modprobe.d/disable.conf': '# local override\nblacklist nf-conntrack\n',
      'etc/modprobe.d/z.conf': 'install nf_conntrack /usr/sbin/modprobe --ignore-install \\\n  nf_conntrack\ninstall nf_conntrack /bin/false\n',
      'etc/modprobe.d/notes.txt': 'install nf_conntrack /bin/true\n',
      'proc/sys/kernel/osrelease': '6.1.0-test\n',
      'lib/modules/6.1.0-test/modules.builtin': 'kernel/net/sctp/sctp.ko\n',
    });
    roots.push(dir);
    const ctx = await rootContext(dir);
    expect(await run(ctx, 'dccp')).toMatchObject({ status: 'observed', values: { blacklisted: false, installCommand: null } });
    expect(await run(ctx, 'nf_conntrack')).toMatchObject({
      status: 'observed',
      values: { loaded: true, blacklisted: true, installCommand: '/usr/sbin/modprobe --ignore-install nf_conntrack', installDisabled: false },
    });
    expect(await run(ctx, 'sctp')).toMatchObject({ status: 'observed', values: { builtin: true } });
  });

  it('is not-applicable for the runtime scope on an offline root, while configuration is still read', async () => {
    const dir = makeRoot({ 'etc/modprobe.d/rds.conf': 'install rds /bin/false\nblacklist rds\n' });
    roots.push(dir);
    const ctx = await rootContext(dir, 'offline');
    expect((await run(ctx, 'rds', 'runtime')).status).toBe('not-applicable');
    expect(await run(ctx, 'rds')).toMatchObject({ status: 'observed', values: { loaded: null, runtimeAvailable: false, installDisabled: true, blacklisted: true } });
  });
});
