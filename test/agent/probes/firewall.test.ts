import { describe, expect, it } from 'vitest';
import { firewallProbe, openToAny } from '../../../agent/probes/firewall.js';
import { parseNftRuleset } from '../../../agent/sources/firewall-nft.js';
import { parseNftConfig } from '../../../agent/sources/firewall-nft-config.js';
import { parseIptablesSave } from '../../../agent/sources/firewall-iptables.js';
import { parseUfwStatus, parseUfwUserRules } from '../../../agent/sources/firewall-ufw.js';
import { parseFirewalldZoneXml, parseFirewalldZones, richRuleAllows, zoneAllowRules } from '../../../agent/sources/firewall-firewalld.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext, type RootSpec } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: unknown = {}) => firewallProbe.run(firewallProbe.params.parse(params), ctx);
async function values(ctx: ScanContext, params: unknown = {}) {
  const obs = await run(ctx, params);
  if (obs.status !== 'observed') throw new Error(`expected observed, got ${JSON.stringify(obs)}`);
  return obs.values as Record<string, unknown>;
}
async function withRoot<T>(spec: RootSpec, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = makeRoot(spec);
  try {
    return await fn(dir);
  } finally {
    removeRoot(dir);
  }
}
const exec = (stdout: string, exitCode = 0, stderr = '') => JSON.stringify({ exitCode, stdout, stderr });

const M = (left: unknown, right: unknown, op = '==') => ({ match: { op, left, right } });
const PAY = (protocol: string, field: string) => ({ payload: { protocol, field } });
const nft = (items: unknown[]) => JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...items] });

describe('nft -j list ruleset parsing', () => {
  const ruleset = nft([
    { table: { family: 'inet', name: 'filter', handle: 1 } },
    { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
    { chain: { family: 'inet', table: 'filter', name: 'forward', handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
    { chain: { family: 'inet', table: 'filter', name: 'services', handle: 3 } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', expr: [M({ meta: { key: 'iif' } }, 'lo'), { accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', expr: [M({ ct: { key: 'state' } }, ['established', 'related'], 'in'), { accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', expr: [{ jump: { target: 'services' } }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'services', expr: [M(PAY('tcp', 'dport'), { set: [80, 443] }), { accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'services', expr: [M(PAY('ip', 'saddr'), { prefix: { addr: '10.20.0.0', len: 16 } }), M(PAY('tcp', 'dport'), { range: [5900, 5910] }), { counter: null }, { accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'services', expr: [M(PAY('icmp', 'type'), 'echo-request'), { accept: null }] } },
    // forward: accept policy but a final catch-all reject
    { rule: { family: 'inet', table: 'filter', chain: 'forward', expr: [{ counter: null }, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }] } },
    { table: { family: 'ip', name: 'filter', handle: 2 } },
    { chain: { family: 'ip', table: 'filter', name: 'INPUT', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
    { table: { family: 'inet', name: 'firewalld', handle: 3 } },
  ]);

  it('takes base-chain policies per family, the strictest when several chains share a hook', () => {
    const s = parseNftRuleset(ruleset);
    expect(s.input).toEqual({ v4: 'drop', v6: 'drop' });
    expect(s.forward).toEqual({ v4: 'reject', v6: 'reject' });
    expect(s.rulesLoaded).toBe(true);
  });

  it('follows jumps from the input hook and keeps only rules that admit new connections to ports', () => {
    expect(parseNftRuleset(ruleset).allowRules).toEqual([
      { manager: 'nftables', proto: 'tcp', port: 80, source: 'any' },
      { manager: 'nftables', proto: 'tcp', port: 443, source: 'any' },
      { manager: 'nftables', proto: 'tcp', port: 5900, portEnd: 5910, source: '10.20.0.0/16' },
    ]);
  });

  it('says who owns each table: iptables-nft compatibility tables and firewalld are not nftables', () => {
    expect(parseNftRuleset(ruleset).tables.map((t) => `${t.family} ${t.name} ${t.owner}`)).toEqual([
      'inet filter nftables',
      'ip filter iptables',
      'inet firewalld firewalld',
    ]);
  });

  it('reports no filtering for a family without base chains, and refuses text that is not nft JSON', () => {
    const ip4only = nft([
      { table: { family: 'ip', name: 't', handle: 1 } },
      { chain: { family: 'ip', table: 't', name: 'in', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
    ]);
    expect(parseNftRuleset(ip4only).input).toEqual({ v4: 'drop', v6: null });
    expect(() => parseNftRuleset('table inet filter {}')).toThrow();
  });
});

describe('/etc/nftables.conf parsing (offline roots)', () => {
  it('reads policies and simple accept rules from the text form', () => {
    const s = parseNftConfig(`#!/usr/sbin/nft -f
flush ruleset
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" accept
    ct state established,related accept
    ip saddr { 10.20.0.0/16, 10.30.0.5 } tcp dport 22 ct state new accept
    udp dport { 5353, 6000-6010 } accept # comment
    icmp type echo-request accept
  }
  chain forward { type filter hook forward priority 0; policy drop; }
}`);
    expect(s.input).toEqual({ v4: 'drop', v6: 'drop' });
    expect(s.forward).toEqual({ v4: 'drop', v6: 'drop' });
    expect(s.allowRules).toEqual([
      { manager: 'nftables', proto: 'tcp', source: '10.20.0.0/16', port: 22 },
      { manager: 'nftables', proto: 'tcp', source: '10.30.0.5', port: 22 },
      { manager: 'nftables', proto: 'udp', source: 'any', port: 5353 },
      { manager: 'nftables', proto: 'udp', source: 'any', port: 6000, portEnd: 6010 },
    ]);
  });
});

describe('iptables-save parsing', () => {
  const save = `# Generated by iptables-save v1.8.9
*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:SERVICES - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -j SERVICES
-A SERVICES -s 10.20.0.0/16 -p tcp -m tcp --dport 22 -j ACCEPT
-A SERVICES -p tcp -m multiport --dports 80,443,6000:6007 -j ACCEPT
-A SERVICES -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A SERVICES -s 192.0.2.7/32 -j ACCEPT
-A FORWARD -m comment --comment "catch all" -j DROP
COMMIT
`;

  it('reads INPUT and FORWARD policies, a final catch-all DROP counting as the policy', () => {
    const s = parseIptablesSave(save, 'v4');
    expect([s.input, s.forward, s.rulesLoaded]).toEqual(['drop', 'drop', true]);
    expect(s.policies.get('INPUT')).toBe('DROP');
  });

  it('lists ACCEPT rules reachable from INPUT with ports, ranges and sources', () => {
    expect(parseIptablesSave(save, 'v4').allowRules).toEqual([
      { manager: 'iptables', proto: 'tcp', source: '10.20.0.0/16', family: 'v4', port: 22 },
      { manager: 'iptables', proto: 'tcp', source: 'any', family: 'v4', port: 80 },
      { manager: 'iptables', proto: 'tcp', source: 'any', family: 'v4', port: 443 },
      { manager: 'iptables', proto: 'tcp', source: 'any', family: 'v4', port: 6000, portEnd: 6007 },
      { manager: 'iptables', proto: 'any', source: '192.0.2.7/32', family: 'v4', port: null },
    ]);
  });

  it('says nothing is loaded for an empty save and for accept policies without rules', () => {
    expect(parseIptablesSave('', 'v4')).toMatchObject({ input: null, rulesLoaded: false });
    expect(parseIptablesSave('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\nCOMMIT\n', 'v6')).toMatchObject({ input: 'accept', rulesLoaded: false });
  });
});

describe('ufw parsing', () => {
  it('reads status, defaults and rules of `ufw status verbose`', () => {
    const s = parseUfwStatus(`Status: active
Logging: on (low)
Default: reject (incoming), allow (outgoing), deny (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     LIMIT IN    10.20.0.0/16
80,443/tcp                 ALLOW IN    Anywhere
6000:6007/tcp on eth1      ALLOW IN    Anywhere
OpenSSH                    ALLOW IN    192.0.2.0/24
Custom App                 ALLOW IN    Anywhere
53                         DENY IN     Anywhere
25/tcp                     ALLOW OUT   Anywhere
80,443/tcp (v6)            ALLOW IN    Anywhere (v6)
`);
    expect([s.active, s.defaultIncoming, s.defaultRouted]).toEqual([true, 'reject', 'deny']);
    expect(s.allowRules).toEqual([
      { manager: 'ufw', source: '10.20.0.0/16', limited: true, proto: 'tcp', port: 22 },
      { manager: 'ufw', source: 'any', limited: false, proto: 'tcp', port: 80 },
      { manager: 'ufw', source: 'any', limited: false, proto: 'tcp', port: 443 },
      { manager: 'ufw', source: 'any', limited: false, proto: 'tcp', port: 6000, portEnd: 6007 },
      { manager: 'ufw', source: '192.0.2.0/24', limited: false, proto: 'tcp', service: 'OpenSSH', port: 22 },
      { manager: 'ufw', source: 'any', limited: false, proto: 'any', port: null, service: 'Custom App' },
      { manager: 'ufw', source: 'any', limited: false, family: 'v6', proto: 'tcp', port: 80 },
      { manager: 'ufw', source: 'any', limited: false, family: 'v6', proto: 'tcp', port: 443 },
    ]);
    expect(parseUfwStatus('Status: inactive\n')).toEqual({ active: false, defaultIncoming: null, defaultRouted: null, allowRules: [] });
  });

  it('reads the persisted tuples of user.rules', () => {
    expect(parseUfwUserRules('### tuple ### limit tcp 22 0.0.0.0/0 any 10.20.0.0/16 in\n### tuple ### allow any 5900:5999 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### deny tcp 23 0.0.0.0/0 any 0.0.0.0/0 in\n', 'v4')).toEqual([
      { manager: 'ufw', proto: 'tcp', source: '10.20.0.0/16', limited: true, family: 'v4', port: 22 },
      { manager: 'ufw', proto: 'any', source: 'any', limited: false, family: 'v4', port: 5900, portEnd: 5999 },
    ]);
  });
});

describe('firewalld parsing', () => {
  it('reads zones of --list-all-zones with their flags, targets and rich rules', () => {
    const zones = parseFirewalldZones(`block
  target: %%REJECT%%
  interfaces: 
  services: 

internal (active)
  target: default
  interfaces: 
  sources: 10.20.0.0/16
  services: ssh cockpit
  ports: 5901/tcp
  rich rules: 

public (default, active)
  target: DROP
  interfaces: ens192
  sources: 
  services: dhcpv6-client
  ports: 
  rich rules: 
	rule family="ipv4" source address="192.0.2.0/24" port port="9090" protocol="tcp" accept
	rule family="ipv4" source NOT address="10.0.0.0/8" service name="ssh" accept
`);
    expect(zones.map((z) => [z.name, z.target, z.isDefault, z.active])).toEqual([
      ['block', 'REJECT', false, false],
      ['internal', 'default', false, true],
      ['public', 'DROP', true, true],
    ]);
    // A zone bound only by sources admits only from them; one bound to an interface admits from anywhere.
    expect(zoneAllowRules(zones[1]!)).toEqual([
      { manager: 'firewalld', proto: 'tcp', source: '10.20.0.0/16', service: 'ssh', port: 22 },
      { manager: 'firewalld', proto: 'tcp', source: '10.20.0.0/16', service: 'cockpit', port: 9090 },
      { manager: 'firewalld', proto: 'tcp', source: '10.20.0.0/16', port: 5901 },
    ]);
    expect(zoneAllowRules(zones[2]!)).toEqual([
      { manager: 'firewalld', proto: 'udp', source: 'any', service: 'dhcpv6-client', port: 546 },
      { manager: 'firewalld', proto: 'tcp', source: '192.0.2.0/24', family: 'v4', port: 9090 },
    ]);
  });

  it('reads zone XML the same way, rich rules included', () => {
    const z = parseFirewalldZoneXml('drop', `<?xml version="1.0" encoding="utf-8"?>
<zone target="DROP">
  <interface name="ens192"/>
  <port protocol="udp" port="161"/>
  <rule family="ipv4"><source address="10.20.0.0/16"/><service name="ssh"/><accept/></rule>
</zone>`);
    expect(z).toMatchObject({ target: 'DROP', interfaces: ['ens192'], services: [], ports: ['161/udp'] });
    expect(zoneAllowRules(z)).toEqual([
      { manager: 'firewalld', proto: 'udp', source: 'any', port: 161 },
      { manager: 'firewalld', proto: 'tcp', source: '10.20.0.0/16', service: 'ssh', family: 'v4', port: 22 },
    ]);
    expect(richRuleAllows('rule family="ipv6" service name="ftp" reject')).toEqual([]);
  });
});

describe('firewall probe', () => {
  it('finds no firewall on this development machine although the kernel has iptables tables', async () => {
    // /proc/net/ip_tables_names exists here (Lynis FIRE-4502/4590 count that as an active firewall);
    // without a manager or loaded rules there is no firewall.
    await withRoot(
      { 'proc/net/ip_tables_names': 'filter\n', 'proc/net/ip_tables_targets': 'ERROR\n', 'proc/net/ip_tables_matches': 'icmp\n', 'etc/hostname': 'x\n' },
      async (dir) => {
        const v = await values(await rootContext(dir), { ports: [22] });
        expect(v).toMatchObject({ managers: [], activeCount: 0, installed: [], rulesLoaded: false, inputPolicy: { v4: null, v6: null }, portsOpenToAny: ['22/tcp', '22/udp'] });
      },
    );
    expect(await values(await fixtureContext('debian12-default'))).toMatchObject({ managers: [], rulesLoaded: false });
  });

  it('reads each captured host\'s manager, policies and allow rules', async () => {
    const summary = async (h: string) => {
      const v = await values(await fixtureContext(h), { ports: [22, 9090], protos: ['tcp'] });
      return { managers: v.managers, input: v.inputPolicy, open: v.portsOpenToAny };
    };
    expect(await summary('debian12-hardened')).toEqual({ managers: ['nftables'], input: { v4: 'drop', v6: 'drop' }, open: [] });
    expect(await summary('ubuntu2204-default')).toEqual({ managers: [], input: { v4: null, v6: null }, open: ['22/tcp', '9090/tcp'] });
    expect(await summary('ubuntu2204-hardened')).toEqual({ managers: ['ufw'], input: { v4: 'drop', v6: 'drop' }, open: [] });
    expect(await summary('rhel9-default')).toEqual({ managers: ['firewalld'], input: { v4: 'reject', v6: 'reject' }, open: ['22/tcp', '9090/tcp'] });
    expect(await summary('rhel9-hardened')).toEqual({ managers: ['firewalld'], input: { v4: 'drop', v6: 'drop' }, open: [] });
    expect(await values(await fixtureContext('rhel9-hardened'))).toMatchObject({
      firewalldDefaultZone: 'drop',
      firewalldZones: [{ name: 'drop', target: 'DROP', interfaces: ['ens192'] }],
      allowRules: [{ manager: 'firewalld', service: 'ssh', port: 22, source: '10.20.0.0/16' }],
    });
  });

  it('does not count ufw\'s own iptables chains as a second manager, but does count foreign rules', async () => {
    const ufwOn = await values(await fixtureContext('ubuntu2204-hardened'));
    expect([ufwOn.managers, ufwOn.activeCount, ufwOn.ufwDefaultIncoming]).toEqual([['ufw'], 1, 'deny']);
    await withRoot(
      {
        'etc/hostname': 'x\n',
        '.rampart-exec/ufw-status.json': exec('Status: active\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n'),
        '.rampart-exec/iptables-save.json': exec('*filter\n:INPUT DROP [0:0]\n:DOCKER-USER - [0:0]\n-A INPUT -j ufw-before-input\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\nCOMMIT\n'),
      },
      async (dir) => expect((await values(await rootContext(dir))).managers).toEqual(['ufw', 'iptables']),
    );
  });

  it('counts firewalld and a hand-written nftables table as two managers', async () => {
    await withRoot(
      {
        'etc/hostname': 'x\n',
        '.rampart-exec/firewalld-state.json': exec('running\n'),
        '.rampart-exec/firewalld-list-all-zones.json': exec('public (default, active)\n  target: default\n  interfaces: eth0\n  services: ssh\n'),
        '.rampart-exec/nft-ruleset.json': exec(
          nft([
            { table: { family: 'inet', name: 'firewalld', handle: 1 } },
            { chain: { family: 'inet', table: 'firewalld', name: 'filter_INPUT', handle: 1, type: 'filter', hook: 'input', prio: 10, policy: 'accept' } },
            { table: { family: 'inet', name: 'custom', handle: 2 } },
            { chain: { family: 'inet', table: 'custom', name: 'in', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
          ]),
        ),
      },
      async (dir) => expect(await values(await rootContext(dir))).toMatchObject({ managers: ['firewalld', 'nftables'], activeCount: 2 }),
    );
  });

  it('treats firewalld that is installed but stopped as not active', async () => {
    await withRoot(
      { 'etc/hostname': 'x\n', '.rampart-exec/firewalld-state.json': exec('not running\n', 252), 'etc/firewalld/firewalld.conf': 'DefaultZone=drop\n' },
      async (dir) => expect(await values(await rootContext(dir))).toMatchObject({ installed: ['firewalld'], managers: [], firewalldDefaultZone: 'drop' }),
    );
  });

  it('is an error, never "no firewall", when a present tool cannot be read', async () => {
    await withRoot(
      { 'etc/hostname': 'x\n', '.rampart-exec/ufw-status.json': exec('', 1, 'ERROR: You need to be root to run this script\n') },
      async (dir) => expect(await run(await rootContext(dir))).toMatchObject({ status: 'error', code: 'ERR_PROBE_PERMISSION' }),
    );
    await withRoot(
      { 'etc/hostname': 'x\n', '.rampart-exec/nft-ruleset.json': exec('not json') },
      async (dir) => expect(await run(await rootContext(dir))).toMatchObject({ status: 'error', code: 'ERR_PROBE_PARSE' }),
    );
  });

  it('judges an offline root from boot configuration', async () => {
    await withRoot(
      {
        'etc/hostname': 'x\n',
        'etc/ufw/ufw.conf': 'ENABLED=yes\n',
        'etc/default/ufw': 'IPV6=no\nDEFAULT_INPUT_POLICY="REJECT"\nDEFAULT_FORWARD_POLICY="DROP"\n',
        'etc/ufw/user.rules': '### tuple ### allow tcp 3389 0.0.0.0/0 any 0.0.0.0/0 in\n',
      },
      async (dir) => {
        const v = await values(await rootContext(dir, 'offline'), { ports: [3389], protos: ['tcp'] });
        expect(v).toMatchObject({
          basis: 'config',
          managers: ['ufw'],
          ufwDefaultIncoming: 'reject',
          inputPolicy: { v4: 'reject', v6: null },
          portsOpenToAny: ['3389/tcp'],
        });
      },
    );
  });

  it('compacts open ports into ranges per protocol', () => {
    const fw = { inputPolicy: { v4: 'drop' as const, v6: 'drop' as const }, allowRules: [{ manager: 'nftables' as const, proto: 'tcp' as const, port: 5900, portEnd: 5902, source: 'any' }] };
    expect(openToAny(fw, [22, 5899, 5900, 5901, 5902, 5903], ['tcp', 'udp'])).toEqual(['5900-5902/tcp']);
    expect(openToAny({ ...fw, inputPolicy: { v4: 'drop', v6: null } }, [22, 23], ['tcp'])).toEqual(['22-23/tcp']);
  });

  it('refuses parameters it cannot honour', () => {
    for (const bad of firewallProbe.badExamples) expect(firewallProbe.params.safeParse(bad).success).toBe(false);
  });
});
