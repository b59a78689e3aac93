/**
 * @module A collector in its own process (so tests can kill -9 it): collector-child.ts bundled
 * once with esbuild into the private build directory, started on a chosen port and data dir. Admin steps
 * (agency, token, revoke) go through the same SQLite file from the test process, as the
 * `rampart server` CLI does while a collector runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import { openSqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import type { Store } from '../../../server/store/store.js';
import { ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../../../server/tokens.js';
import { BUILD_DIR, REPO } from './agent-processes.js';

/** Bundled next to the private CLI build (inside node_modules, so packages resolve), removed with it. */
const OUT_DIR = BUILD_DIR;
let bundled: Promise<string> | undefined;

function bundle(): Promise<string> {
  bundled ??= (async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const outfile = path.join(OUT_DIR, 'collector-child.mjs');
    await build({
      entryPoints: [path.join(REPO, 'test/integration/helpers/collector-child.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })();
  return bundled;
}

/** A free TCP port on loopback (so a restarted collector can listen on the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface CollectorProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCollectorProcess(dataDir: string, port: number, env: Record<string, string> = {}): Promise<CollectorProcess> {
  const entry = await bundle();
  const child = spawn(process.execPath, [entry, dataDir, String(port), 'warn'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, ...env } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited (${code}) before it was ready: ${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Admin access to a collector's data dir from the test process. */
export class Admin {
  private constructor(readonly store: Store) {}

  static async open(dataDir: string): Promise<Admin> {
    return new Admin(await openSqliteStore(dataDir, { busyTimeoutMs: 10_000 }));
  }

  async token(agency: string, opts: { uses?: number; expiresAt?: string | null } = {}): Promise<string> {
    if (!(await this.store.findAgency(agency))) await this.store.createAgency(agency);
    const token = generateToken(ENROLL_TOKEN_PREFIX);
    await this.store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(token), expiresAt: opts.expiresAt ?? null, uses: opts.uses ?? 1, now: new Date().toISOString() });
    return token;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
