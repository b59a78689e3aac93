/**
 * @module The AI fixture hosts (test/fixtures/hosts-ai/<name>/host.yaml) built into real root
 * trees in a temp directory: /proc/<pid>/{comm,cmdline,status,environ,fd/*,cwd}, /proc/net/tcp{,6}
 * rows, /etc/passwd, dpkg status, pip dist-info METADATA, command captures, and files with exact
 * permission bits (git cannot keep modes such as 0600 or 0777, so the spec states them and the
 * builder applies them).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { FixtureHost } from '../../agent/host/fs-host.js';
import { createScanContext, type ScanContext } from '../../agent/engine/context.js';
import { readHostFacts } from '../../agent/engine/facts.js';
import { REPO_ROOT } from './fixtures.js';

export const AI_HOSTS_DIR = path.join(REPO_ROOT, 'test/fixtures/hosts-ai');
export const KEV_FIXTURE = path.join(REPO_ROOT, 'test/fixtures/kev/known_exploited_vulnerabilities.json');

const Mode = z.string().regex(/^0[0-7]{3,4}$/);
const FileSpec = z.union([z.string(), z.strictObject({ content: z.string(), mode: Mode.optional() })]);

const ProcSpec = z.strictObject({
  pid: z.number().int().positive(),
  ppid: z.number().int().nonnegative().default(1),
  comm: z.string().max(15),
  cmdline: z.array(z.string()),
  uid: z.number().int().nonnegative().default(0),
  environ: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  /** TCP listeners held by this process: "0.0.0.0:11434", "[::]:8000", "127.0.0.1:8888". */
  listen: z.array(z.string()).default([]),
});

export const AiHostSpecSchema = z.strictObject({
  description: z.string(),
  os: z.enum(['debian12', 'ubuntu2204', 'rhel9']).default('debian12'),
  hostname: z.string(),
  users: z.array(z.strictObject({ name: z.string(), uid: z.number().int(), home: z.string() })).default([]),
  processes: z.array(ProcSpec).default([]),
  files: z.record(z.string(), FileSpec).default({}),
  dirs: z.record(z.string(), Mode).default({}),
  pip: z.array(z.strictObject({ dir: z.string(), name: z.string(), version: z.string() })).default([]),
  deb: z.array(z.strictObject({ name: z.string(), version: z.string() })).default([]),
  exec: z.record(z.string(), z.strictObject({ exitCode: z.number().int().default(0), stdout: z.string().default(''), stderr: z.string().default('') })).default({}),
});
export type AiHostSpec = z.infer<typeof AiHostSpecSchema>;

const OS_RELEASE: Record<AiHostSpec['os'], string> = {
  debian12: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  ubuntu2204: 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n',
  rhel9: 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.4"\nID="rhel"\nID_LIKE="fedora"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n',
};

export const AI_HOSTS = readdirSync(AI_HOSTS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(AI_HOSTS_DIR, d.name, 'host.yaml')))
  .map((d) => d.name)
  .sort();

export function loadSpec(name: string): AiHostSpec {
  return AiHostSpecSchema.parse(parse(readFileSync(path.join(AI_HOSTS_DIR, name, 'host.yaml'), 'utf8')));
}

/** /proc/net address: IPv4 as one little-endian word; IPv6 as four little-endian words. */
function hexAddress(addr: string): { v6: boolean; hex: string } {
  if (!addr.includes(':')) {
    const b = addr.split('.').map(Number);
    return { v6: false, hex: [b[3], b[2], b[1], b[0]].map((x) => x!.toString(16).padStart(2, '0')).join('').toUpperCase() };
  }
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g || '0', 16));
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  let hex = '';
  for (let w = 0; w < 4; w++) for (let i = 3; i >= 0; i--) hex += bytes[w * 4 + i]!.toString(16).padStart(2, '0');
  return { v6: true, hex: hex.toUpperCase() };
}

function parseListen(s: string): { addr: string; port: number } {
  const m = /^\[(.*)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`bad listen spec ${s}`);
  return { addr: m[1]!, port: Number(m[2]) };
}

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

function write(root: string, p: string, content: string, mode?: string): void {
  const real = path.join(root, p);
  mkdirSync(path.dirname(real), { recursive: true });
  writeFileSync(real, content);
  if (mode) chmodSync(real, parseInt(mode, 8));
}

/** Build the host tree once per test process; returns its root. */
const built = new Map<string, string>();
export function buildAiHost(name: string): string {
  const hit = built.get(name);
  if (hit) return hit;
  const spec = loadSpec(name);
  const root = mkdtempSync(path.join(tmpdir(), `rampart-ai-${name}-`));
  write(root, '/etc/os-release', OS_RELEASE[spec.os]);
  write(root, '/etc/hostname', `${spec.hostname}\n`);
  const passwd = ['root:x:0:0:root:/root:/bin/bash', ...spec.users.map((u) => `${u.name}:x:${u.uid}:${u.uid}::${u.home}:/bin/bash`)];
  write(root, '/etc/passwd', passwd.join('\n') + '\n');
  const tcp: string[] = [];
  const tcp6: string[] = [];
  let inode = 40000;
  const procs = [{ pid: 1, ppid: 0, comm: 'init', cmdline: ['/sbin/init'], uid: 0, listen: [] as string[] }, ...spec.processes];
  for (const p of procs) {
    const base = `/proc/${p.pid}`;
    write(root, `${base}/comm`, `${p.comm}\n`);
    write(root, `${base}/cmdline`, p.cmdline.length ? p.cmdline.join('\0') + '\0' : '');
    write(root, `${base}/status`, `Name:\t${p.comm}\nState:\tS (sleeping)\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nGid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\n`);
    const env = 'environ' in p && p.environ ? p.environ : {};
    write(root, `${base}/environ`, Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(''), '0400');
    mkdirSync(path.join(root, base, 'fd'), { recursive: true });
    symlinkSync('/dev/null', path.join(root, base, 'fd', '0'));
    if ('cwd' in p && p.cwd) symlinkSync(p.cwd, path.join(root, base, 'cwd'));
    p.listen.forEach((l, i) => {
      const { addr, port } = parseListen(l);
      const { v6, hex } = hexAddress(addr);
      const n = ++inode;
      const row = `${String((v6 ? tcp6 : tcp).length).padStart(4)}: ${hex}:${port.toString(16).toUpperCase().padStart(4, '0')} ${v6 ? '0'.repeat(32) : '00000000'}:0000 0A 00000000:00000000 00:00000000 00000000 ${String(p.uid).padStart(5)}        0 ${n} 1 0000000000000000 100 0 0 10 0\n`;
      (v6 ? tcp6 : tcp).push(row);
      symlinkSync(`socket:[${n}]`, path.join(root, base, 'fd', String(3 + i)));
    });
  }
  write(root, '/proc/net/tcp', HEADER + tcp.join(''));
  write(root, '/proc/net/tcp6', HEADER.replace('local_address rem_address  ', 'local_address                         remote_address                       ') + tcp6.join(''));
  write(root, '/proc/sys/kernel/osrelease', '6.1.0-28-amd64\n');
  for (const pkg of spec.pip) {
    const dir = `${pkg.dir}/${pkg.name.replace(/-/g, '_')}-${pkg.version}.dist-info`;
    write(root, `${dir}/METADATA`, `Metadata-Version: 2.1\nName: ${pkg.name}\nVersion: ${pkg.version}\nSummary: fixture\n`);
  }
  const dpkg = spec.deb.map((d) => `Package: ${d.name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${d.version}\n`);
  write(root, '/var/lib/dpkg/status', ['Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u7\n', ...dpkg].join('\n'));
  for (const [id, out] of Object.entries(spec.exec)) write(root, `/.rampart-exec/${id}.json`, JSON.stringify(out));
  // Directories first (modes for parents), then files, then re-apply dir modes (writing files may create them).
  for (const d of Object.keys(spec.dirs)) mkdirSync(path.join(root, d), { recursive: true });
  for (const [p, f] of Object.entries(spec.files)) {
    if (typeof f === 'string') write(root, p, f);
    else write(root, p, f.content, f.mode);
  }
  for (const [d, mode] of Object.entries(spec.dirs)) chmodSync(path.join(root, d), parseInt(mode, 8));
  write(root, '/.rampart-fixture.json', JSON.stringify({ source: `test/fixtures/hosts-ai/${name}/host.yaml`, description: spec.description }));
  built.set(name, root);
  return root;
}

/** Remove the built trees (call from afterAll). */
export function cleanupAiHosts(): void {
  for (const root of built.values()) rmSync(root, { recursive: true, force: true });
  built.clear();
}

export async function aiHostContext(name: string): Promise<ScanContext> {
  const host = new FixtureHost(buildAiHost(name));
  return createScanContext(host, await readHostFacts(host), new Date('2026-11-26T12:00:00Z'));
}
