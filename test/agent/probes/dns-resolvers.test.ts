import { describe, expect, it } from 'vitest';
import { dnsResolversProbe } from '../../../agent/probes/dns-resolvers.js';
import { parseResolvConf, resolvedServerAddress } from '../../../agent/sources/dns-config.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext, type RootSpec } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: unknown = {}) => dnsResolversProbe.run(dnsResolversProbe.params.parse(params), ctx);
async function withRoot<T>(spec: RootSpec, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = makeRoot(spec);
  try {
    return await fn(dir);
  } finally {
    removeRoot(dir);
  }
}
const STUB = { 'etc/resolv.conf': { link: '../run/systemd/resolve/stub-resolv.conf' }, 'run/systemd/resolve/stub-resolv.conf': 'nameserver 127.0.0.53\noptions edns0 trust-ad\n' };

describe('resolver file parsing', () => {
  it('reads nameserver lines and resolved.conf server syntax', () => {
    expect(parseResolvConf('# c\nsearch x\nnameserver 10.0.0.1\n  nameserver fe80::1%eth0\nnameserverx 1.1.1.1\n')).toEqual(['10.0.0.1', 'fe80::1%eth0']);
    expect(['1.1.1.1', '1.1.1.1:853', '1.1.1.1#cloudflare-dns.com', '[2606:4700::1111]:853#cloudflare-dns.com', '9.9.9.9%eth0', '2620:fe::fe'].map(resolvedServerAddress)).toEqual([
      '1.1.1.1',
      '1.1.1.1',
      '1.1.1.1',
      '2606:4700::1111',
      '9.9.9.9',
      '2620:fe::fe',
    ]);
  });
});

describe('dns-resolvers probe', () => {
  it('reads a plain resolv.conf and the nsswitch hosts order', async () => {
    expect(await run(await fixtureContext('debian12-default'))).toMatchObject({
      status: 'observed',
      values: { nameservers: ['10.255.255.53'], count: 1, stub: false, dnsOverTls: null, nmDnsMode: null, nsswitchHosts: 'files dns' },
    });
  });

  it('looks through the systemd-resolved stub to the upstream servers', async () => {
    expect(await run(await fixtureContext('ubuntu2204-hardened'))).toMatchObject({
      values: { nameservers: ['10.20.0.53', '10.20.1.53'], count: 2, stub: true, dnsOverTls: 'opportunistic' },
    });
    expect(await run(await fixtureContext('ubuntu2204-default'))).toMatchObject({ values: { nameservers: ['10.0.2.3'], count: 1, stub: true } });
  });

  it('uses DNS= from resolved.conf and its drop-ins when the runtime list is absent (offline)', async () => {
    await withRoot(
      {
        // As on a disk image: the link into /run dangles.
        'etc/resolv.conf': STUB['etc/resolv.conf'],
        'etc/systemd/resolved.conf': '[Resolve]\nDNS=192.0.2.1\nDNSOverTLS=no\n',
        'etc/systemd/resolved.conf.d/90-agency.conf': '[Resolve]\nDNS=[2001:db8::53]:853#dns.example.gov 10.0.0.53#dns.example.gov\nDNSOverTLS=yes\n',
      },
      async (dir) => {
        expect(await run(await rootContext(dir, 'offline'))).toMatchObject({
          values: { nameservers: ['2001:db8::53', '10.0.0.53'], stub: true, dnsOverTls: 'yes' },
        });
      },
    );
  });

  it('cannot know DHCP-provided servers of a stub host offline', async () => {
    await withRoot({ 'etc/resolv.conf': { link: '../run/systemd/resolve/stub-resolv.conf' }, 'etc/hostname': 'x\n' }, async (dir) => {
      expect((await run(await rootContext(dir, 'offline'))).status).toBe('not-applicable');
      expect(await run(await rootContext(dir))).toMatchObject({ status: 'error', code: 'ERR_PROBE_UNAVAILABLE' });
    });
  });

  it('reads NetworkManager dns= with conf.d overriding the main file, "unset" when absent', async () => {
    expect(await run(await fixtureContext('rhel9-default'))).toMatchObject({ values: { nmDnsMode: 'unset', nsswitchHosts: 'files dns myhostname' } });
    expect(await run(await fixtureContext('rhel9-hardened'))).toMatchObject({ values: { nmDnsMode: 'none', count: 2 } });
    await withRoot(
      {
        'etc/resolv.conf': 'nameserver 10.0.0.1\n',
        'etc/NetworkManager/NetworkManager.conf': '[main]\ndns=dnsmasq\n',
        'etc/NetworkManager/conf.d/10-a.conf': '[logging]\ndns=ignored\n',
        'etc/NetworkManager/conf.d/20-b.conf': '[main]\ndns=default\n',
      },
      async (dir) => expect(await run(await rootContext(dir))).toMatchObject({ values: { nmDnsMode: 'default' } }),
    );
  });

  it('lists servers outside the approved addresses and networks', async () => {
    const ctx = await fixtureContext('ubuntu2204-hardened');
    expect(await run(ctx, { approved: ['10.20.0.0/24'] })).toMatchObject({ values: { unapproved: ['10.20.1.53'], approvedConfigured: true } });
    expect(await run(ctx, {})).toMatchObject({ values: { unapproved: ['10.20.0.53', '10.20.1.53'], approvedConfigured: false } });
  });

  it('is not applicable without /etc/resolv.conf', async () => {
    await withRoot({ 'etc/hostname': 'x\n' }, async (dir) => expect((await run(await rootContext(dir))).status).toBe('not-applicable'));
  });
});
