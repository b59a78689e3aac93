/**
 * @module Real processes for agent integration tests: build dist once, spawn `node
 * dist/rampart.js agent ...` with its own state dir and fixture root, collect its pino lines,
 * make and mutate fixture roots (marker files the agent-stream pack checks), poll with a deadline.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * The CLI under test: the same tsup build as dist/, but in a private directory per test file,
 * so a teammate running `npm run build` (which cleans dist/) cannot pull it away mid-test.
 */
export const BUILD_DIR = path.join(REPO, 'node_modules/.cache/rampart-agent-tests', `dist-${process.pid}`);
export const RAMPART = path.join(BUILD_DIR, 'rampart.js');
export const STREAM_PACK = path.join(REPO, 'test/fixtures/packs/agent-stream.yaml');
export const STREAM_RULES = 60;

let built = false;
/** Build the CLI once per test file into its private directory (removed by removeBuild). */
export function ensureBuilt(): void {
  if (built && existsSync(RAMPART)) return;
  const r = spawnSync(path.join(REPO, 'node_modules/.bin/tsup'), ['--out-dir', BUILD_DIR], { cwd: REPO, stdio: 'pipe' });
  if (r.status !== 0 || !existsSync(RAMPART)) throw new Error(`tsup failed: ${r.stderr?.toString()}`);
  built = true;
}

export async function removeBuild(): Promise<void> {
  await fs.rm(BUILD_DIR, { recursive: true, force: true });
  built = false;
}

/** Poll `check` until it returns a truthy value or the deadline passes (then throw with `what`). */
export async function pollUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

/** A minimal machine root: os-release, hostname, machine-id, and the markers that make rules pass. */
export async function makeFixtureRoot(dir: string, hostname: string, markers: number[] = []): Promise<string> {
  await fs.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fs.mkdir(path.join(dir, 'var/lib/rampart-test'), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
  await fs.writeFile(path.join(dir, 'etc/hostname'), `${hostname}\n`);
  await fs.writeFile(path.join(dir, 'etc/machine-id'), `${Buffer.from(hostname).toString('hex').padEnd(32, '0').slice(0, 32)}\n`);
  for (const m of markers) await setMarker(dir, m, true);
  return dir;
}

export async function setMarker(root: string, n: number, present: boolean): Promise<void> {
  const file = path.join(root, 'var/lib/rampart-test', `marker-${String(n).padStart(2, '0')}`);
  if (present) await fs.writeFile(file, '');
  else await fs.rm(file, { force: true });
}

export interface LogLine {
  level: number;
  msg: string;
  time: string;
  [key: string]: unknown;
}

export interface AgentProcess {
  child: ChildProcess;
  logs: LogLine[];
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
}

export interface AgentEnv {
  stateDir: string;
  fixtureRoot: string;
  /** Extra RAMPART_* variables. */
  env?: Record<string, string>;
}

function agentEnv(a: AgentEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RAMPART_FIXTURE_ROOT: a.fixtureRoot,
    RAMPART_STATE_DIR: a.stateDir,
    RAMPART_PACKS: STREAM_PACK,
    RAMPART_LOG_LEVEL: 'info',
    RAMPART_BACKOFF_CAP_MS: '2000',
    RAMPART_BACKOFF_BASE_MS: '200',
    RAMPART_CONNECT_TIMEOUT_MS: '5000',
    ...a.env,
  };
}

/** Spawn `rampart <args>` as an agent with its own state dir and fixture root. */
export function spawnRampart(args: string[], a: AgentEnv): AgentProcess {
  const child = spawn(process.execPath, [RAMPART, ...args], { env: agentEnv(a), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let out = '';
  let err = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    err += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        /* not a log line */
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Run a command to completion; resolves with exit code and output. */
export async function runRampart(args: string[], a: AgentEnv, timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string; logs: LogLine[] }> {
  const p = spawnRampart(args, a);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr(), logs: p.logs };
}

export async function enrollAgent(url: string, token: string, a: AgentEnv, extra: string[] = []): Promise<string> {
  const r = await runRampart(['agent', 'enroll', '--server', url, '--token', token, ...extra], a);
  if (r.code !== 0) throw new Error(`enroll failed (${r.code}): ${r.stderr}`);
  const identity = JSON.parse(await fs.readFile(path.join(a.stateDir, 'identity.json'), 'utf8')) as { agentId: string };
  return identity.agentId;
}
