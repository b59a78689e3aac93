/**
 * HTTPS_PROXY: the agent reaches an https collector through an HTTP CONNECT proxy for enroll, the
 * challenge and the WebSocket, with TLS end to end; NO_PROXY hosts are dialled directly.
 * A real TLS collector, a real CONNECT proxy on loopback, the real daemon with --once.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/log.js';
import { loadAgentConfig } from '../../../agent/daemon/config.js';
import { runAgent } from '../../../agent/daemon/daemon.js';
import { enroll } from '../../../agent/daemon/enroll.js';
import { bypassesProxy, parseProxy } from '../../../agent/daemon/proxy-tunnel.js';
import { statePaths } from '../../../agent/daemon/state-dir.js';
import { loadAgentTls } from '../../../agent/daemon/tls-client.js';
import { hasOpenssl, makeCa, makeLeaf, type Ca } from '../../helpers/test-certs.js';
import { startTestCollector, type TestCollector } from '../../helpers/test-collector.js';
import { buildWorkerEntry, type WorkerEntry } from '../helpers/worker-entry.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
if (!hasOpenssl() && process.env.CI === 'true') throw new Error('proxy tests need the openssl CLI for test certificates');

let tmp: string;
let ca: Ca;
let collector: TestCollector;
let proxy: http.Server;
let proxyPort: number;
let worker: WorkerEntry;
const tunnels: string[] = [];
const open = new Set<net.Socket>();

describe('parsing HTTPS_PROXY and NO_PROXY', () => {
  it('accepts http proxies with or without a scheme and refuses others', () => {
    expect(parseProxy('proxy.agency.gov:3128', undefined)!.url.host).toBe('proxy.agency.gov:3128');
    expect(parseProxy('http://u:p@10.0.0.1:8080', 'a.gov, .b.gov')!.noProxy).toEqual(['a.gov', '.b.gov']);
    expect(parseProxy(undefined, 'x')).toBeUndefined();
    expect(() => parseProxy('https://proxy:443', undefined)).toThrow(/only http:\/\//);
  });

  it('exempts exact hosts, domain suffixes, IP addresses and "*"', () => {
    expect(bypassesProxy('collector.dhs.gov', ['.dhs.gov'])).toBe(true);
    expect(bypassesProxy('collector.dhs.gov', ['dhs.gov'])).toBe(true);
    expect(bypassesProxy('collector.dhs.gov', ['other.gov'])).toBe(false);
    expect(bypassesProxy('notdhs.gov', ['dhs.gov'])).toBe(false);
    expect(bypassesProxy('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(bypassesProxy('127.0.0.10', ['127.0.0.1'])).toBe(false);
    expect(bypassesProxy('anything', ['*'])).toBe(true);
  });
});

describe.skipIf(!hasOpenssl())('an agent behind an HTTP CONNECT proxy', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-proxy-'));
    worker = await buildWorkerEntry();
    ca = makeCa(tmp, 'proxy-test-ca');
    const leaf = makeLeaf(tmp, ca, 'collector', 'server');
    collector = await startTestCollector({ tlsCert: leaf.cert, tlsKey: leaf.key });
    proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      open.add(client);
      client.once('close', () => open.delete(client));
      const upstream = net.connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      open.add(upstream);
      upstream.once('close', () => open.delete(upstream));
      upstream.on('error', () => client.destroy());
      // Like a real proxy: when either end of the tunnel closes, the tunnel is gone.
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyPort = (proxy.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await collector?.dispose();
    worker?.dispose();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const envFor = (extra: Record<string, string>) => ({
    RAMPART_STATE_DIR: path.join(tmp, 'state'),
    RAMPART_CA_FILE: ca.cert,
    RAMPART_SERVER: collector.url,
    RAMPART_PACKS: path.join(REPO, 'test/fixtures/packs/minimal.yaml'),
    RAMPART_FIXTURE_ROOT: path.join(REPO, 'test/fixtures/hosts/debian12-default'),
    RAMPART_LOG_LEVEL: 'silent',
    ...extra,
  });

  it('enrolls, authenticates and delivers its results through the tunnel, TLS end to end', async () => {
    expect(collector.url).toMatch(/^https:/);
    const env = envFor({ HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` });
    const config = loadAgentConfig({}, env);
    const token = await collector.token('Proxied Agency', { uses: 1 });
    const identity = await enroll({ paths: statePaths(config.stateDir), serverUrl: collector.url, token, timeoutMs: 10_000, tls: await loadAgentTls(config), log: silentLogger() });
    const authority = new URL(collector.url).host;
    expect(tunnels).toContain(authority);
    const before = tunnels.length;
    expect(await runAgent(config, { once: true, worker: worker.command }, silentLogger())).toBe(0);
    // The challenge and the WebSocket each went through the proxy.
    expect(tunnels.length - before).toBeGreaterThanOrEqual(2);
    const agent = await collector.store.getAgent(identity.agentId);
    expect(agent!.maxSeq).toBeGreaterThan(0);
    expect(agent!.counts.pass + agent!.counts.fail + agent!.counts.error + agent!.counts.notApplicable).toBe(2);
    // The agent closed every tunnel it opened (no socket left behind per request or connection).
    for (let i = 0; i < 40 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(open.size).toBe(0);
  });

  it('dials NO_PROXY hosts directly', async () => {
    const env = envFor({ HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: 'localhost,127.0.0.1' });
    const before = tunnels.length;
    expect(await runAgent(loadAgentConfig({}, env), { once: true, worker: worker.command }, silentLogger())).toBe(0);
    expect(tunnels.length).toBe(before);
  });

  it('reports a proxy that refuses the tunnel as an unreachable collector', async () => {
    const refusing = http.createServer();
    refusing.on('connect', (_req: http.IncomingMessage, client: net.Socket) => client.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const port = (refusing.address() as net.AddressInfo).port;
    try {
      const config = loadAgentConfig({}, envFor({ HTTPS_PROXY: `http://127.0.0.1:${port}`, RAMPART_STATE_DIR: path.join(tmp, 'state-2') }));
      const token = await collector.token('Proxied Agency', { uses: 1 });
      await expect(enroll({ paths: statePaths(config.stateDir), serverUrl: collector.url, token, timeoutMs: 5_000, tls: await loadAgentTls(config), log: silentLogger() })).rejects.toMatchObject({
        code: 'ERR_AGENT_SERVER_UNREACHABLE',
      });
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });
});
