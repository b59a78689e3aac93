import { afterEach, describe, expect, it } from 'vitest';
import { sysctlProbe } from '../../../agent/probes/sysctl.js';
import { FixtureHost } from '../../../agent/host/fs-host.js';
import { createScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { parseSysctlFile, sysctlPathKey } from '../../../agent/sources/sysctl-config.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: Awaited<ReturnType<typeof fixtureContext>>, key: string, scope?: 'runtime' | 'persisted' | 'both') =>
  sysctlProbe.run(sysctlProbe.params.parse(scope ? { key, scope } : { key }), ctx);

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('sysctl probe on the captured hosts', () => {
  it('reads this machine: send_redirects 1 at runtime and persisted nowhere', async () => {
    const obs = await run(await fixtureContext('debian12-default'), 'net.ipv4.conf.all.send_redirects');
    expect(obs).toMatchObject({
      status: 'observed',
      values: { runtime: 1, runtimeAvailable: true, persisted: null, persistedFile: null, persistedValues: [], persistedConflict: false },
    });
  });

  it('normalises multi-value runtime strings to single spaces', async () => {
    const obs = await run(await fixtureContext('debian12-default'), 'net.ipv4.ip_local_port_range', 'runtime');
    expect(obs).toMatchObject({ status: 'observed', values: { runtime: '32768 60999' } });
  });

  it('finds values persisted by vendor files in /usr/lib/sysctl.d', async () => {
    const obs = await run(await fixtureContext('debian12-default'), 'kernel.pid_max', 'persisted');
    expect(obs).toMatchObject({ status: 'observed', values: { persisted: 4194304, persistedFile: '/usr/lib/sysctl.d/50-pid-max.conf' } });
  });

  it('reports a key the kernel does not have as runtime null', async () => {
    const obs = await run(await fixtureContext('debian12-default'), 'net.ipv4.no_such_key');
    expect(obs).toMatchObject({ status: 'observed', values: { runtime: null, runtimeAvailable: true, persisted: null } });
  });

  it('takes Ubuntu rp_filter=2 from 10-network-security.conf and ignores systemd glob keys', async () => {
    const obs = await run(await fixtureContext('ubuntu2204-default'), 'net.ipv4.conf.all.rp_filter');
    expect(obs).toMatchObject({ status: 'observed', values: { runtime: 2, persisted: 2, persistedFile: '/etc/sysctl.d/10-network-security.conf', persistedConflict: false } });
  });

  it('lets an /etc/sysctl.d file mask the same-named vendor file (rhel9-hardened 50-default.conf)', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'), 'net.ipv4.conf.default.rp_filter', 'persisted');
    expect(obs.status).toBe('observed');
    if (obs.status !== 'observed') return;
    expect(obs.values.persisted).toBe(1);
    expect(obs.values.persistedConflict).toBe(false);
    const files = (obs.values.persistedValues as { file: string }[]).map((v) => v.file);
    expect(files).not.toContain('/usr/lib/sysctl.d/50-default.conf');
    expect(files).toContain('/etc/sysctl.d/50-default.conf');
    // /etc/sysctl.conf is read through 99-sysctl.conf and again last, as sysctl --system does.
    expect(files.at(-1)).toBe('/etc/sysctl.conf');
  });

  it('sees the default rp_filter conflict a vendor file causes when it is not masked (rhel9-default)', async () => {
    const obs = await run(await fixtureContext('rhel9-default'), 'net.ipv4.conf.default.rp_filter');
    expect(obs).toMatchObject({ status: 'observed', values: { runtime: 2, persisted: 2, persistedFile: '/usr/lib/sysctl.d/50-default.conf' } });
  });
});

describe('sysctl merge order', () => {
  it('merges by file name across directories, /etc > /run > /usr/local/lib > /usr/lib, then /etc/sysctl.conf', async () => {
    const dir = makeRoot({
      'proc/sys/net/ipv4/ip_forward': '1\n',
      'usr/lib/sysctl.d/10-a.conf': 'net.ipv4.ip_forward = 5\n',
      'run/sysctl.d/10-a.conf': 'net/ipv4/ip_forward=1\n',
      'usr/local/lib/sysctl.d/30-c.conf': '-net.ipv4.ip_forward = 3   \n',
      'etc/sysctl.d/20-b.conf': '# comment\n; also comment\nnet.ipv4.ip_forward=2\n',
      'etc/sysctl.d/README': 'net.ipv4.ip_forward = 9\n',
      'etc/sysctl.conf': 'net.ipv4.ip_forward = 0\n',
    });
    roots.push(dir);
    const obs = await run(await rootContext(dir), 'net.ipv4.ip_forward');
    expect(obs).toMatchObject({
      status: 'observed',
      values: {
        runtime: 1,
        persisted: 0,
        persistedFile: '/etc/sysctl.conf',
        persistedValues: [
          { file: '/run/sysctl.d/10-a.conf', line: 1, value: 1 },
          { file: '/etc/sysctl.d/20-b.conf', line: 3, value: 2 },
          { file: '/usr/local/lib/sysctl.d/30-c.conf', line: 1, value: 3 },
          { file: '/etc/sysctl.conf', line: 1, value: 0 },
        ],
        persistedConflict: true,
      },
    });
  });

  it('treats a drop-in masked with a link to /dev/null as empty', async () => {
    const dir = makeRoot({
      'usr/lib/sysctl.d/50-default.conf': 'net.ipv4.conf.default.rp_filter = 2\n',
      'etc/sysctl.d/50-default.conf': { link: '/dev/null' },
    });
    roots.push(dir);
    const obs = await run(await rootContext(dir, 'offline'), 'net.ipv4.conf.default.rp_filter', 'persisted');
    expect(obs).toMatchObject({ status: 'observed', values: { persisted: null, persistedValues: [] } });
  });

  it('accepts slash and dot key syntax alike', () => {
    expect(sysctlPathKey('net.ipv4.conf.all.rp_filter')).toBe('net/ipv4/conf/all/rp_filter');
    expect(sysctlPathKey('-net/ipv4/conf/eth0.100/rp_filter')).toBe('net/ipv4/conf/eth0.100/rp_filter');
    expect(parseSysctlFile('kernel.printk = 4  4 1\t7\nbare-line\n-net.ipv4.conf.all.rp_filter\n')).toEqual([
      { key: 'kernel/printk', value: '4 4 1 7', line: 1 },
    ]);
  });
});

describe('sysctl on an offline root', () => {
  const spec = { 'etc/sysctl.d/60-net.conf': 'net.ipv4.ip_forward = 0\n' };

  it('says not-applicable for the runtime scope', async () => {
    const dir = makeRoot(spec);
    roots.push(dir);
    const obs = await run(await rootContext(dir, 'offline'), 'net.ipv4.ip_forward', 'runtime');
    expect(obs.status).toBe('not-applicable');
  });

  it('still observes the persisted value, with runtime unavailable', async () => {
    const dir = makeRoot(spec);
    roots.push(dir);
    const obs = await run(await rootContext(dir, 'offline'), 'net.ipv4.ip_forward');
    expect(obs).toMatchObject({ status: 'observed', values: { runtimeAvailable: false, runtime: null, persisted: 0 } });
  });

  it('is an error, not a pass, on a live host without /proc/sys', async () => {
    const dir = makeRoot(spec);
    roots.push(dir);
    const obs = await run(await rootContext(dir, 'live-fixture'), 'net.ipv4.ip_forward', 'runtime');
    expect(obs).toMatchObject({ status: 'error', code: 'ERR_PROBE_UNAVAILABLE' });
  });
});

describe('sysctl source reading', () => {
  it('reads the persisted configuration once per scan however many keys are asked', async () => {
    class CountingHost extends FixtureHost {
      reads = new Map<string, number>();
      override readFile(p: string) {
        this.reads.set(p, (this.reads.get(p) ?? 0) + 1);
        return super.readFile(p);
      }
    }
    const host = new CountingHost(fixtureRoot('rhel9-hardened'));
    const ctx = createScanContext(host, await readHostFacts(host));
    const keys = ['net.ipv4.ip_forward', 'net.ipv4.tcp_syncookies', 'net.ipv4.conf.all.rp_filter', 'net.core.bpf_jit_harden'];
    await Promise.all(keys.flatMap((key) => [run(ctx, key, 'persisted'), run(ctx, key, 'both')]));
    expect(host.reads.get('/etc/sysctl.conf')).toBe(1);
    expect(host.reads.get('/etc/sysctl.d/50-default.conf')).toBe(1);
  });
});
