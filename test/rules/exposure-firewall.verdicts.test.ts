/**
 * @module Verdicts of the firewall, management-exposure, patch and DNS rules on every captured host.
 * debian12-default is this development machine (no firewall, services on loopback, one wildcard
 * listener whose owner lives in another pid namespace, 69 pending security updates); the hardened
 * hosts filter by default and admit SSH only from the management network.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FixtureHost, offlineRootHost } from '../../agent/host/fs-host.js';
import type { Host } from '../../agent/host/host.js';
import type { CompiledPack } from '../../agent/rules/compiled.js';
import { fixtureRoot } from '../helpers/fixtures.js';
import { BASELINE_PACK, HOSTS, compileSection, diskImages, scanResults, scanVerdicts, verdictTableTests } from '../helpers/baseline.js';

/**
 * Expected status per host, in HOSTS order:
 * debian12-default | debian12-hardened | ubuntu2204-default | ubuntu2204-hardened | rhel9-default | rhel9-hardened.
 */
const EXPECTED: Record<string, string> = {
  // debian12-default runs no firewall at all; ubuntu2204-default has ufw installed but inactive.
  'linux.fw.single-manager-active': 'F P F P P P',
  // The stock public zone has target "default", not DROP/REJECT.
  'linux.fw.firewalld-default-deny': 'N N N N F P',
  // Applies on Ubuntu, and on Debian when ufw is installed or nothing filters (debian12-default).
  'linux.fw.ufw-default-deny': 'F N F P N N',
  'linux.fw.nft-iptables-default-deny': 'N P N N N N',
  // debian12-default: 0.0.0.0:2024 answers with no firewall; ubuntu default: sshd and DHCP client, no firewall.
  'linux.fw.rules-cover-listeners': 'F P F P P P',
  'linux.mgmt.listener-inventory': 'P P P P P P',
  // rhel9-default: sshd on 0.0.0.0 and the public zone admits ssh from anywhere.
  'linux.mgmt.ssh-exposure': 'P P F P F P',
  'linux.mgmt.cleartext-admin-listeners': 'P P P P P P',
  'linux.mgmt.remote-desktop-listeners': 'P P P P P P',
  'linux.mgmt.file-sharing-listeners': 'P P P P P P',
  // rhel9-default's public zone admits cockpit (9090) from anywhere, but nothing listens there.
  'linux.mgmt.web-admin-listeners': 'P P P P P P',
  // Only rhel9-hardened (a physical server) has /dev/ipmi0; nothing answers RMCP on its addresses.
  'linux.mgmt.bmc-exposure': 'N N N N N P',
  'linux.patch.os-vendor-supported': 'P P P P P P',
  // Defaults: 69 (debian, real), 5 (ubuntu, plus reboot-required), 7 (rhel, plus an installed kernel not running).
  'linux.patch.security-updates-pending': 'F P F P F P',
  'linux.patch.package-metadata-fresh': 'P P P P P P',
  'linux.dns.resolvers-redundant': 'F P F P F P',
  // Only the RHEL hosts run NetworkManager; rhel9-default leaves dns= unset.
  'linux.dns.networkmanager-dns-mode': 'N N N N F P',
  // Needs the agency's approved list (see the tailored run below).
  'linux.dns.resolvers-approved': 'N N N N N N',
  // Only the Ubuntu hosts resolve through systemd-resolved.
  'linux.dns.encrypted-transport': 'N N F P N N',
};

let pack: CompiledPack;
const compile = (parameterValues: Record<string, unknown> = {}) => compileSection(Object.keys(EXPECTED), parameterValues);
const scan = (host: Host, p: CompiledPack = pack, hostTags: string[] = []) => scanResults(host, p, hostTags);
const verdicts = (host: Host, p: CompiledPack = pack, hostTags: string[] = []) => scanVerdicts(host, p, hostTags);

beforeAll(async () => {
  pack = await compile();
});

describe(`verdicts of ${BASELINE_PACK} on the captured hosts`, () => {
  verdictTableTests(EXPECTED, () => pack);

  it('gives the management-exposure rules the 14-day BOD 23-02 clock', () => {
    for (const id of ['linux.mgmt.ssh-exposure', 'linux.mgmt.cleartext-admin-listeners', 'linux.mgmt.remote-desktop-listeners', 'linux.mgmt.bmc-exposure']) {
      const rule = pack.rules.find((r) => r.rule.id === id)!;
      expect({ id, days: rule.clockDays, directive: rule.clockDirective }).toEqual({ id, days: 14, directive: 'BOD-23-02' });
    }
  });

  it('carries every listener with its owning process as evidence of the inventory rule', async () => {
    const results = await scan(new FixtureHost(fixtureRoot('debian12-default')));
    const observed = results['linux.mgmt.listener-inventory']!.evidence[0]!.observed as { listeners: Array<{ port: number; address: string; process?: string }> };
    const byPort = Object.fromEntries(observed.listeners.map((l) => [`${l.address}:${l.port}`, l.process ?? null]));
    expect(byPort).toMatchObject({
      '127.0.0.1:5432': 'postgres',
      '127.0.0.1:6379': 'redis-server',
      '::1:6379': 'redis-server',
      '127.0.0.1:5672': 'beam.smp',
      '127.0.0.1:3306': 'mariadbd',
      '127.0.0.1:4222': 'nats-server',
      '127.0.0.1:1883': 'mosquitto',
      '127.0.0.1:4369': 'epmd',
      '0.0.0.0:2024': null,
    });
  });

  it('shows why SSH counts as exposed on rhel9-default: the listener and the any-source firewall rule', async () => {
    const r = (await scan(new FixtureHost(fixtureRoot('rhel9-default'))))['linux.mgmt.ssh-exposure']!;
    expect(r.status).toBe('fail');
    expect(r.clockDays).toBe(14);
    expect(r.observed).toContain('"22/tcp"');
    expect(r.observed).toContain('"sshd"');
  });
});

describe('parameters and tags change verdicts without changing the pack', () => {
  it('passes SSH exposure when the listener is on a management network or the port is an approved exception', async () => {
    const host = () => new FixtureHost(fixtureRoot('ubuntu2204-default'));
    // sshd binds 0.0.0.0, which a management network never excuses; an approved port does.
    expect((await verdicts(host(), await compile({ management_networks: ['10.0.0.0/8'] })))['linux.mgmt.ssh-exposure']).toBe('fail');
    expect((await verdicts(host(), await compile({ allowed_management_ports: [22] })))['linux.mgmt.ssh-exposure']).toBe('pass');
    expect((await verdicts(host(), pack, ['ssh-bastion']))['linux.mgmt.ssh-exposure']).toBe('not-applicable');
  });

  it('judges resolvers against the approved list once the agency sets it', async () => {
    const tailored = await compile({ approved_dns_resolvers: ['10.20.0.0/24', '10.20.1.53'] });
    const got = await Promise.all(HOSTS.map(async (h) => (await verdicts(new FixtureHost(fixtureRoot(h)), tailored))['linux.dns.resolvers-approved']));
    expect(got).toEqual(['fail', 'pass', 'fail', 'pass', 'fail', 'pass']);
  });

  it('fails a release past its end-of-support date and one missing from the table', async () => {
    const past = await compile({ os_end_of_support: ['debian 12 2026-06-10', 'rhel 9 2032-05-31'] });
    const got = await Promise.all(
      ['debian12-default', 'ubuntu2204-default', 'rhel9-default'].map(async (h) => (await verdicts(new FixtureHost(fixtureRoot(h)), past))['linux.patch.os-vendor-supported']),
    );
    expect(got).toEqual(['fail', 'fail', 'pass']);
  });
});

describe('verdicts on an offline root (a disk image with no /proc and no commands)', () => {
  const diskImageOf = diskImages(['etc', 'usr', 'lib', 'boot', 'dev', 'var']);

  it('judges the firewall from boot configuration and leaves runtime-only rules not-applicable', async () => {
    const rhel = await verdicts(offlineRootHost(diskImageOf('rhel9-hardened')));
    expect(rhel['linux.fw.single-manager-active']).toBe('pass');
    expect(rhel['linux.fw.firewalld-default-deny']).toBe('pass');
    // No sockets offline: the firewall branch alone decides, and the rich rule restricts SSH.
    expect(rhel['linux.mgmt.ssh-exposure']).toBe('pass');
    expect(rhel['linux.mgmt.listener-inventory']).toBe('not-applicable');
    expect(rhel['linux.patch.security-updates-pending']).toBe('not-applicable');
    expect(rhel['linux.dns.networkmanager-dns-mode']).toBe('pass');

    const rhelDefault = await verdicts(offlineRootHost(diskImageOf('rhel9-default')));
    expect(rhelDefault['linux.fw.firewalld-default-deny']).toBe('fail');
    expect(rhelDefault['linux.mgmt.ssh-exposure']).toBe('fail');

    const deb = await verdicts(offlineRootHost(diskImageOf('debian12-hardened')));
    expect(deb['linux.fw.single-manager-active']).toBe('pass');
    expect(deb['linux.fw.nft-iptables-default-deny']).toBe('pass');
    expect(deb['linux.mgmt.ssh-exposure']).toBe('pass');

    const ubuntu = await verdicts(offlineRootHost(diskImageOf('ubuntu2204-hardened')));
    expect(ubuntu['linux.fw.ufw-default-deny']).toBe('pass');
    expect(ubuntu['linux.mgmt.ssh-exposure']).toBe('pass');
    // resolv.conf points at the stub and /run is not on the image, but resolved.conf.d names the servers.
    expect(ubuntu['linux.dns.resolvers-redundant']).toBe('pass');

    const ubuntuDefault = await verdicts(offlineRootHost(diskImageOf('ubuntu2204-default')));
    expect(ubuntuDefault['linux.fw.single-manager-active']).toBe('fail');
    expect(ubuntuDefault['linux.mgmt.ssh-exposure']).toBe('fail');
    // Upstream servers come from DHCP at run time: unknowable offline.
    expect(ubuntuDefault['linux.dns.resolvers-redundant']).toBe('not-applicable');
  });
});
