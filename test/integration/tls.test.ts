import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, enrollAgent, makeFixtureRoot, pollUntil, RAMPART, removeBuild, runRampart, type AgentEnv } from './helpers/agent-processes.js';
import { Admin, freePort } from './helpers/collector-process.js';
import { hasOpenssl, makeCa, makeLeaf, type Ca } from '../helpers/test-certs.js';

let tmp: string;
let certDir: string;
let serverCa: Ca;
let clientCa: Ca;
let client: { cert: string; key: string };
let rogue: { cert: string; key: string };
let collector: ChildProcess;
let url: string;
let port: number;
let admin: Admin;
const certFile = () => path.join(certDir, 'live.crt');
const keyFile = () => path.join(certDir, 'live.key');

function fingerprint(options: tls.ConnectionOptions): Promise<{ socket: tls.TLSSocket; fp: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(serverCa.cert), ...options }, () => resolve({ socket, fp: socket.getPeerCertificate().fingerprint256 }));
    socket.once('error', reject);
  });
}

/** One HTTP/1.1 request on an open TLS socket (keep-alive); resolves with the status line. */
function request(socket: tls.TLSSocket, pathname: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const onData = (d: Buffer) => {
      data += d.toString();
      if (data.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(data.split('\r\n')[0]!);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

beforeAll(async () => {
  if (!hasOpenssl()) {
    if (process.env.CI === 'true') throw new Error('openssl CLI missing');
    return;
  }
  ensureBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-tls-'));
  certDir = path.join(tmp, 'certs');
  await fs.mkdir(certDir);
  serverCa = makeCa(certDir, 'server-ca');
  clientCa = makeCa(certDir, 'agent-ca');
  const first = makeLeaf(certDir, serverCa, 'collector-1', 'server');
  makeLeaf(certDir, serverCa, 'collector-2', 'server');
  client = makeLeaf(certDir, clientCa, 'agent-1', 'client');
  rogue = makeLeaf(certDir, makeCa(certDir, 'rogue-ca'), 'rogue', 'client');
  await fs.copyFile(first.cert, certFile());
  await fs.copyFile(first.key, keyFile());
  const dataDir = path.join(tmp, 'collector');
  port = await freePort();
  collector = spawn(process.execPath, [RAMPART, 'server', 'start', '--data-dir', dataDir, '--port', String(port), '--tls-cert', certFile(), '--tls-key', keyFile(), '--client-ca', clientCa.cert, '--log-level', 'warn'], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  collector.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  url = await pollUntil('collector listening', () => /listening on (\S+)/.exec(out)?.[1], 30_000);
  admin = await Admin.open(dataDir);
}, 120_000);

afterAll(async () => {
  if (collector) {
    collector.kill('SIGTERM');
    await new Promise((r) => collector.once('exit', r));
  }
  await admin?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  await removeBuild();
});

function agentEnvFor(name: string): AgentEnv {
  return { stateDir: path.join(tmp, name, 'state'), fixtureRoot: path.join(tmp, name, 'root') };
}

describe('collector TLS and mutual TLS for agents', { timeout: 180_000 }, () => {
  it.skipIf(!hasOpenssl() && process.env.CI !== 'true')('serves https and wss; agents enroll and deliver only with a client certificate from the configured CA', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const a = agentEnvFor('tls-a');
    await makeFixtureRoot(a.fixtureRoot, 'tls-a', [0, 1, 2]);
    const tlsFlags = ['--ca', serverCa.cert, '--client-cert', client.cert, '--client-key', client.key];

    const noCert = await runRampart(['agent', 'enroll', '--server', url, '--token', await admin.token('dhs'), '--ca', serverCa.cert], a);
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toContain('ERR_AUTH_CLIENT_CERT');
    const wrongCa = await runRampart(['agent', 'enroll', '--server', url, '--token', await admin.token('dhs'), '--ca', serverCa.cert, '--client-cert', rogue.cert, '--client-key', rogue.key], a);
    expect(wrongCa.stderr).toContain('ERR_AUTH_CLIENT_CERT');
    const noCa = await runRampart(['agent', 'enroll', '--server', url, '--token', await admin.token('dhs'), '--client-cert', client.cert, '--client-key', client.key], a);
    expect(noCa.code).not.toBe(0);
    expect(noCa.stderr).toContain('ERR_AGENT_SERVER_UNREACHABLE');

    const agentId = await enrollAgent(url, await admin.token('dhs'), a, tlsFlags);
    const once = await runRampart(['agent', 'run', '--once', '--timeout', '60', ...tlsFlags], a);
    expect(once.code, once.stderr).toBe(0);
    expect((await admin.store.hostDetail(agentId)).host.counts).toMatchObject({ pass: 3, fail: 57 });

    // The agent key of the client certificate must be private.
    await fs.chmod(client.key, 0o644);
    const loose = await runRampart(['agent', 'run', '--once', '--timeout', '10', ...tlsFlags], a);
    expect(loose.stderr).toContain('ERR_AGENT_KEY_PERMISSIONS');
    await fs.chmod(client.key, 0o600);
  });

  it.skipIf(!hasOpenssl() && process.env.CI !== 'true')('rotates the certificate on SIGHUP: new connections get the new one, open connections stay up', async () => {
    const before = await fingerprint({ cert: readFileSync(client.cert), key: readFileSync(client.key) });
    expect(await request(before.socket, '/healthz')).toContain('200');

    await fs.copyFile(path.join(certDir, 'collector-2.crt'), certFile());
    await fs.copyFile(path.join(certDir, 'collector-2.key'), keyFile());
    collector.kill('SIGHUP');
    const after = await pollUntil(
      'a new connection to present the new certificate',
      async () => {
        const c = await fingerprint({});
        c.socket.destroy();
        return c.fp !== before.fp ? c.fp : undefined;
      },
      10_000,
      200,
    );
    expect(after).not.toBe(before.fp);
    // The connection opened before the rotation still works and still has the old certificate.
    expect(await request(before.socket, '/healthz')).toContain('200');
    expect(before.socket.getPeerCertificate().fingerprint256).toBe(before.fp);
    before.socket.destroy();
    expect(collector.exitCode).toBeNull();
  });
});
