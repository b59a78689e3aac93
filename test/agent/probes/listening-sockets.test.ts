import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningSocketsProbe } from '../../../agent/probes/listening-sockets.js';
import { decodeProcNetAddress, listenersFrom, parseProcNet, readListeners, type Listener } from '../../../agent/sources/listeners.js';
import { FixtureHost, liveHost } from '../../../agent/host/fs-host.js';
import { createScanContext, type ScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: unknown) => listeningSocketsProbe.run(listeningSocketsProbe.params.parse(params), ctx);
const values = async (ctx: ScanContext, params: unknown) => {
  const obs = await run(ctx, params);
  if (obs.status !== 'observed') throw new Error(`expected observed, got ${JSON.stringify(obs)}`);
  return obs.values as { listeners: Listener[]; count: number; ports: number[]; nonLoopback: Listener[]; allowed: Listener[] };
};

const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const TCP6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (n: number, local: string, remote: string, st: string, uid: number, inode: number) =>
  `${String(n).padStart(4)}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

describe('/proc/net address decoding', () => {
  it('reads IPv4 as one little-endian word', () => {
    expect(decodeProcNetAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeProcNetAddress('00000000')).toBe('0.0.0.0');
    expect(decodeProcNetAddress('0F02000A')).toBe('10.0.2.15');
    expect(decodeProcNetAddress('3500007F')).toBe('127.0.0.53');
  });

  it('reads IPv6 as four little-endian words and prints RFC 5952 text', () => {
    expect(decodeProcNetAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeProcNetAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeProcNetAddress('000080FE00000000FF00545212B33FFE')).toBe('fe80::5254:ff:fe3f:b312');
    expect(decodeProcNetAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('prints IPv4-mapped IPv6 addresses as ::ffff:a.b.c.d', () => {
    expect(decodeProcNetAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeProcNetAddress('0000000000000000FFFF00001F00140A')).toBe('::ffff:10.20.0.31');
  });

  it('reads big-endian hosts when told to', () => {
    expect(decodeProcNetAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeProcNetAddress('00000000000000000000000000000001', false)).toBe('::1');
  });

  it('refuses text that is not an address', () => {
    expect(() => decodeProcNetAddress('xyz')).toThrow();
    expect(() => decodeProcNetAddress('0100007F00')).toThrow();
  });
});

describe('/proc/net table parsing', () => {
  it('keeps TCP LISTEN rows and unconnected bound UDP rows only, skipping malformed lines', () => {
    const tcp = parseProcNet(
      TCP_HEADER +
        row(0, '0100007F:1538', '00000000:0000', '0A', 101, 3748) +
        row(1, '0100007F:BD90', '0100007F:1111', '01', 106, 5544) +
        'garbage line\n' +
        row(2, 'ZZZZ:0016', '00000000:0000', '0A', 0, 1),
    );
    expect(tcp).toHaveLength(2);
    expect(listenersFrom('tcp', tcp)).toEqual([
      { proto: 'tcp', address: '127.0.0.1', port: 5432, inode: 3748, loopback: true, wildcard: false, uid: 101 },
    ]);
    const udp = parseProcNet(
      TCP_HEADER +
        row(0, '3500007F:0035', '00000000:0000', '07', 101, 10) + // resolved stub: unconnected, bound
        row(1, '0F02000A:A1B2', '0302000A:0035', '01', 0, 11) + // connected client socket
        row(2, '00000000:0000', '00000000:0000', '07', 0, 12), // unbound
    );
    expect(listenersFrom('udp', udp).map((l) => `${l.address}:${l.port}`)).toEqual(['127.0.0.53:53']);
  });
});

describe('listening-sockets probe on captured hosts', () => {
  it('maps every listener on this development machine to its owner through /proc/PID/fd', async () => {
    const v = await values(await fixtureContext('debian12-default'), { includeLoopback: true, protos: ['tcp', 'tcp6'] });
    const owners = Object.fromEntries(v.listeners.map((l) => [`${l.proto} ${l.address}:${l.port}`, l.pid === undefined ? null : `${l.process}/${l.pid}`]));
    expect(owners).toEqual({
      'tcp 127.0.0.1:1883': 'mosquitto/2931',
      'tcp 0.0.0.0:2024': null, // owned by a process in another pid namespace
      'tcp 127.0.0.1:3306': 'mariadbd/3764',
      'tcp 127.0.0.1:4222': 'nats-server/2934',
      'tcp 127.0.0.1:4369': 'epmd/2881',
      'tcp6 ::1:4369': 'epmd/2881',
      'tcp 127.0.0.1:5432': 'postgres/2177',
      'tcp 127.0.0.1:5672': 'beam.smp/2926',
      'tcp 127.0.0.1:6379': 'redis-server/2197',
      'tcp6 ::1:6379': 'redis-server/2197',
      'tcp 127.0.0.1:25672': 'beam.smp/2926',
    });
    const pg = v.listeners.find((l) => l.port === 5432)!;
    expect(pg.cmdline?.[0]).toBe('/usr/lib/postgresql/15/bin/postgres');
    expect(pg.uid).toBe(101);
  });

  it('leaves loopback listeners out unless asked, and lists the network-facing ones', async () => {
    const v = await values(await fixtureContext('debian12-default'), {});
    expect(v.ports).toEqual([2024]);
    expect(v.nonLoopback).toEqual(v.listeners);
    expect(v.listeners[0]).toMatchObject({ address: '0.0.0.0', wildcard: true, loopback: false });
  });

  it('selects by port, range, protocol and process name', async () => {
    const ctx = await fixtureContext('ubuntu2204-hardened');
    expect((await values(ctx, { ports: [22] })).count).toBe(2);
    expect((await values(ctx, { ports: [22], protos: ['tcp6'] })).listeners.map((l) => l.address)).toEqual(['::']);
    expect((await values(ctx, { portRange: [60, 70], protos: ['udp'] })).listeners).toMatchObject([{ port: 68, process: 'systemd-network', address: '10.20.0.31' }]);
    expect((await values(ctx, { process: ['systemd-resolve'] })).count).toBe(0);
    expect((await values(ctx, { process: ['systemd-resolve'], includeLoopback: true })).count).toBe(4);
    expect((await values(ctx, { process: ['chronyd'], includeLoopback: true })).ports).toEqual([323]);
  });

  it('excuses listeners on management networks and approved ports, but never a wildcard bind by network', async () => {
    const ctx = await fixtureContext('ubuntu2204-hardened');
    const dhcp = await values(ctx, { ports: [68], allowedNetworks: ['10.20.0.0/16'] });
    expect(dhcp.count).toBe(0);
    expect(dhcp.allowed).toMatchObject([{ address: '10.20.0.31', port: 68 }]);
    expect((await values(ctx, { ports: [22], allowedNetworks: ['0.0.0.0/0', '::/0'] })).count).toBe(2);
    const approved = await values(ctx, { ports: [22], allowedPorts: [22] });
    expect([approved.count, approved.allowed.length]).toEqual([0, 2]);
  });

  it('is not applicable on an offline root and an error on a live host without /proc/net', async () => {
    const dir = makeRoot({ 'etc/hostname': 'x\n' });
    try {
      expect((await run(await rootContext(dir, 'offline'), {})).status).toBe('not-applicable');
      expect(await run(await rootContext(dir), {})).toMatchObject({ status: 'error', code: 'ERR_PROBE_UNAVAILABLE' });
    } finally {
      removeRoot(dir);
    }
  });

  it('reads the socket tables and fd links once per scan however many checks ask', async () => {
    const reads: string[] = [];
    class CountingHost extends FixtureHost {
      override readFile(p: string) {
        if (p.startsWith('/proc/net/')) reads.push(p);
        return super.readFile(p);
      }
    }
    const host = new CountingHost('test/fixtures/hosts/debian12-default');
    const ctx = createScanContext(host, await readHostFacts(host));
    await Promise.all([run(ctx, { ports: [22] }), run(ctx, { includeLoopback: true }), run(ctx, { process: ['postgres'] }), readListeners(ctx)]);
    expect(reads.sort()).toEqual(['/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/net/udp6']);
  });

  it('attributes a socket shared by several processes to the lowest pid', async () => {
    const tcp = TCP_HEADER + row(0, '00000000:0050', '00000000:0000', '0A', 0, 777);
    const dir = makeRoot({
      'proc/net/tcp': tcp,
      'proc/net/tcp6': TCP6_HEADER,
      'proc/3001/comm': 'nginx\n',
      'proc/3001/cmdline': 'nginx: master process /usr/sbin/nginx\0',
      'proc/3001/fd/6': { link: 'socket:[777]' },
      'proc/3002/comm': 'nginx\n',
      'proc/3002/cmdline': 'nginx: worker process\0',
      'proc/3002/fd/6': { link: 'socket:[777]' },
      'proc/3002/fd/7': { link: 'pipe:[778]' },
    });
    try {
      const v = await values(await rootContext(dir), {});
      expect(v.listeners).toEqual([{ proto: 'tcp', address: '0.0.0.0', port: 80, inode: 777, loopback: false, wildcard: true, uid: 0, pid: 3001, process: 'nginx', cmdline: ['nginx: master process /usr/sbin/nginx'] }]);
    } finally {
      removeRoot(dir);
    }
  });
});

describe('listening-sockets probe on this live host', () => {
  let server: Server | undefined;
  let udp: Socket | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve()));
    server = undefined;
    udp = undefined;
  });

  it('finds a TCP server and a bound UDP socket this test opens, owned by this process', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const tcpPort = (server.address() as { port: number }).port;
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp!.bind(0, '127.0.0.1', resolve));
    const udpPort = udp.address().port;

    const host = liveHost();
    const ctx = createScanContext(host, await readHostFacts(host));
    const v = await values(ctx, { ports: [tcpPort, udpPort], includeLoopback: true });
    const mine = v.listeners.map((l) => ({ proto: l.proto, port: l.port, address: l.address, pid: l.pid }));
    expect(mine).toContainEqual({ proto: 'tcp', port: tcpPort, address: '127.0.0.1', pid: process.pid });
    expect(mine).toContainEqual({ proto: 'udp', port: udpPort, address: '127.0.0.1', pid: process.pid });
  });
});
