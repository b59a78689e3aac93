/**
 * @module Which AI/ML services this host runs or has installed, identified once per scan from
 * the process table (names and command lines matched against the signature table), the listening
 * sockets each process holds (docker-proxy listeners are attributed to the service whose default
 * port they publish), and installed packages or files. Runtime facts are absent on an offline root;
 * installed software is still found there.
 */
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';
import { AI_SIGNATURES, IGNORED_COMM, type AiSignature } from './ai-signatures.js';
import { flagValue } from './ai-config-parsers.js';
import { readListeners, type Listener } from './listeners.js';
import { readProcesses, readProcessEnviron, type ProcessInfo } from './processes.js';
import { readSoftwareVersion, type SoftwareVersion } from './software-versions.js';

export interface AiProcess {
  pid: number;
  ppid?: number;
  comm: string;
  cmdline: string[];
  uid?: number;
  /** The process environment when readable (root only); never copied into evidence. */
  env?: Record<string, string>;
  /** Working directory (/proc/PID/cwd) when readable: where relative config files live. */
  cwd?: string;
}

export interface AiListener {
  proto: string;
  address: string;
  port: number;
  loopback: boolean;
  wildcard: boolean;
  pid?: number;
  process?: string;
  /** "docker-proxy" when the host side of a published container port. */
  via?: string;
  containerPort?: number;
}

export interface AiServiceState {
  signature: AiSignature;
  installed: boolean;
  /** null when this host has no process table (offline root). */
  running: boolean | null;
  processes: AiProcess[];
  listeners: AiListener[];
  versions: { ecosystem: string; name: string; version: string | null; location: string | null }[];
  sources: string[];
}

export interface AiServiceTable {
  processTable: boolean;
  /** Process → service id, for every identified process. */
  byPid: Map<number, string>;
  processes: ProcessInfo[];
}

function compile(sig: AiSignature): RegExp[] {
  return sig.argv.map((s) => new RegExp(s));
}
const MATCHERS = new Map(AI_SIGNATURES.map((s) => [s.id, compile(s)]));

async function isInstalled(ctx: ScanContext, sig: AiSignature): Promise<{ installed: boolean; versions: AiServiceState['versions']; sources: string[] }> {
  const versions: AiServiceState['versions'] = [];
  const sources: string[] = [];
  for (const p of sig.packages) {
    const v: SoftwareVersion = await readSoftwareVersion(ctx, p.ecosystem, p.name);
    sources.push(...v.sources.slice(0, 3));
    if (v.installed) versions.push({ ecosystem: p.ecosystem, name: p.name, version: v.version, location: v.location });
  }
  for (const f of sig.files) {
    sources.push(f);
    if ((await ctx.host.lstat(f).catch(() => undefined)) !== undefined && !versions.some((v) => v.location === f)) {
      versions.push({ ecosystem: 'file', name: f.split('/').pop()!, version: null, location: f });
    }
  }
  return { installed: versions.length > 0, versions, sources };
}

/** Identify every AI process once per scan. */
export function readAiProcessTable(ctx: ScanContext): Promise<AiServiceTable> {
  return ctx.memo('source:ai-process-table', async () => {
    const procs = await readProcesses(ctx);
    if (procs === undefined) return { processTable: false, byPid: new Map(), processes: [] };
    const listeners = (await readListeners(ctx)) ?? [];
    const byPid = new Map<number, string>();
    const requiresCache = new Map<string, boolean>();
    for (const p of procs) {
      if (p.cmdline.length === 0 || IGNORED_COMM.has(p.comm)) continue;
      const joined = p.cmdline.join(' ');
      for (const sig of AI_SIGNATURES) {
        const hit = sig.comm.includes(p.comm) || MATCHERS.get(sig.id)!.some((re) => re.test(joined));
        if (!hit) continue;
        if (sig.requiresPackage) {
          if (!requiresCache.has(sig.id)) requiresCache.set(sig.id, (await isInstalled(ctx, sig)).installed);
          if (!requiresCache.get(sig.id)) continue;
        }
        byPid.set(p.pid, sig.id);
        break;
      }
    }
    // Port hints: an otherwise unidentified python process listening in a product's port range.
    for (const sig of AI_SIGNATURES) {
      if (!sig.portHint) continue;
      for (const l of listeners) {
        if (l.pid === undefined || byPid.has(l.pid) || l.port < sig.portHint.from || l.port > sig.portHint.to) continue;
        if (/^python/.test(l.process ?? '')) byPid.set(l.pid, sig.id);
      }
    }
    // Children of an identified process (workers, kernels' parents) stay with their parent when unidentified.
    const byPpid = new Map(procs.map((p) => [p.pid, p.ppid]));
    for (const p of procs) {
      if (byPid.has(p.pid) || p.cmdline.length === 0 || IGNORED_COMM.has(p.comm)) continue;
      const parent = byPpid.get(p.pid);
      if (parent !== undefined && byPid.has(parent) && /^(python|java|node|gunicorn|uvicorn)/.test(p.comm)) byPid.set(p.pid, byPid.get(parent)!);
    }
    return { processTable: true, byPid, processes: procs };
  });
}

function toAiListener(l: Listener): AiListener {
  const out: AiListener = { proto: l.proto, address: l.address, port: l.port, loopback: l.loopback, wildcard: l.wildcard };
  if (l.pid !== undefined) out.pid = l.pid;
  if (l.process !== undefined) out.process = l.process;
  return out;
}

/** docker-proxy argv: -host-ip 0.0.0.0 -host-port 3000 -container-ip 172.17.0.2 -container-port 8080 */
function dockerProxyPort(cmdline: readonly string[]): number | undefined {
  const v = flagValue(cmdline, ['-container-port', '--container-port']);
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The state of one service: installed, running, its processes and listeners. Read once per scan. */
export function readAiService(ctx: ScanContext, id: string): Promise<AiServiceState | undefined> {
  return ctx.memo(`source:ai-service:${id}`, async () => {
    const sig = AI_SIGNATURES.find((s) => s.id === id);
    if (!sig) return undefined;
    const table = await readAiProcessTable(ctx);
    const inst = await isInstalled(ctx, sig);
    const mine = table.processes.filter((p) => table.byPid.get(p.pid) === id);
    const processes: AiProcess[] = [];
    for (const p of mine) {
      const ap: AiProcess = { pid: p.pid, comm: p.comm, cmdline: p.cmdline };
      if (p.ppid !== undefined) ap.ppid = p.ppid;
      if (p.uid !== undefined) ap.uid = p.uid;
      const env = await readProcessEnviron(ctx, p.pid);
      if (env !== undefined) ap.env = env;
      const cwd = await ctx.memo(`source:cwd:${p.pid}`, () => ctx.host.readLink(`/proc/${p.pid}/cwd`).catch(() => undefined));
      if (cwd !== undefined) ap.cwd = cwd;
      processes.push(ap);
    }
    const pids = new Set(mine.map((p) => p.pid));
    const all = table.processTable ? ((await readListeners(ctx)) ?? []) : [];
    const listeners = all.filter((l) => l.pid !== undefined && pids.has(l.pid)).map(toAiListener);
    if (mine.length > 0) {
      // Published container ports: the host-side docker-proxy listener belongs to the service it forwards to.
      const proxies = table.processes.filter((p) => p.comm === 'docker-proxy');
      for (const proxy of proxies) {
        const cport = dockerProxyPort(proxy.cmdline);
        if (cport === undefined || !sig.defaultPorts.includes(cport)) continue;
        if (AI_SIGNATURES.find((s) => s.defaultPorts.includes(cport) && table.processes.some((p) => table.byPid.get(p.pid) === s.id))?.id !== id) continue;
        for (const l of all.filter((x) => x.pid === proxy.pid)) listeners.push({ ...toAiListener(l), via: 'docker-proxy', containerPort: cport });
      }
    }
    const sources = [...inst.sources];
    if (table.processTable) sources.push('/proc/*/cmdline', '/proc/net/tcp', '/proc/net/tcp6');
    return {
      signature: sig,
      installed: inst.installed,
      running: table.processTable ? mine.length > 0 : null,
      processes,
      listeners,
      versions: inst.versions,
      sources: [...new Set(sources)],
    };
  });
}

/** Home directory of a uid from /etc/passwd (for per-user config and runtime files). */
export function homeOf(ctx: ScanContext, uid: number | undefined): Promise<string | undefined> {
  return ctx.memo(`source:home:${uid ?? 'none'}`, async () => {
    if (uid === undefined) return undefined;
    const passwd = await readFileOnce(ctx, '/etc/passwd').catch(() => undefined);
    for (const line of (passwd ?? '').split('\n')) {
      const f = line.split(':');
      if (f.length >= 6 && Number(f[2]) === uid) return f[5];
    }
    return uid === 0 ? '/root' : undefined;
  });
}
