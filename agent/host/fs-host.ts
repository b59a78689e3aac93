/**
 * @module Host implementations over a filesystem root: the live host ("/"), an offline root
 * (--root DIR: a mounted disk or unpacked image) and a captured fixture (tests).
 */
import { promises as fs, constants as fsc, accessSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { COMMANDS, COMMAND_SEARCH_PATH, type CommandId, type CommandSpec } from './commands.js';
import { readCachedCommand, writeCachedCommand } from './command-cache.js';
import { HostReadError, type CommandResult, type FileStat, type Host, type HostMode } from './host.js';

const MAX_OUTPUT = 32 * 1024 * 1024;
const MAX_LINK_HOPS = 40;

function toFileStat(s: Stats): FileStat {
  return {
    type: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other',
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    mtimeMs: s.mtimeMs,
  };
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

function wrap(err: unknown, what: string): HostReadError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return new HostReadError('permission', `permission denied reading ${what}`);
  return new HostReadError('failed', `cannot read ${what}: ${(err as Error).message}`);
}

/**
 * /proc and /sys of the running host are kernel memory, not disk: reading them synchronously
 * costs microseconds, while an async read pays a threadpool round trip each (a scan reads
 * ~1,500 of them, most for socket owners), so they take the synchronous path.
 */
function isKernelFs(p: string): boolean {
  return p.startsWith('/proc/') || p.startsWith('/sys/') || p === '/proc' || p === '/sys';
}

function syncOr<T>(fn: () => T, missing: T, what: string): T {
  try {
    return fn();
  } catch (err) {
    if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EINVAL' || (err as NodeJS.ErrnoException).code === 'ESRCH') return missing;
    throw wrap(err, what);
  }
}

/** Normalise a host path to an absolute POSIX path with no `..` escaping the root. */
function clean(p: string): string {
  return path.posix.resolve('/', p);
}

export interface FsHostOptions {
  mode: HostMode;
  root: string;
  live: boolean;
  /** Where expensive command outputs are kept between scans (commands.ts `cache`); none when unset. */
  cacheDir?: string;
}

/**
 * Reads files below `root`. For a root other than "/", symlinks are resolved inside the root
 * (as chroot would), so an absolute link in an image never reads the scanning machine's files.
 */
export class FsHost implements Host {
  readonly mode: HostMode;
  readonly root: string;
  readonly live: boolean;
  private readonly chrooted: boolean;
  private readonly cacheDir: string | undefined;

  constructor(options: FsHostOptions) {
    this.mode = options.mode;
    this.root = path.resolve(options.root);
    this.live = options.live;
    this.chrooted = this.root !== '/';
    this.cacheDir = options.cacheDir;
  }

  /**
   * Host paths below a chrooted root already seen to exist and not be symlinks. A host is made
   * for one scan, and the same directories (/etc, /etc/ssh, /usr/lib, …) start most paths a
   * scan reads: each is lstat-ed once per scan instead of once per file.
   */
  private readonly plain = new Set<string>();

  /**
   * Map a host path to a real path, resolving symlinks within the root. Undefined when dangling.
   * The walk is synchronous: an offline root is a directory tree on this machine, and a few
   * hundred lstat calls cost far less CPU that way than as promises. (File contents are still read
   * asynchronously: a scan evaluates its rules concurrently, and I/O turns are what let the cheap
   * ones finish and report before an expensive one runs, so the watchdog blames the right rule.)
   */
  protected async resolve(hostPath: string, followLast: boolean): Promise<string | undefined> {
    const target = clean(hostPath);
    if (!this.chrooted) return target;
    // clean() leaves plain names only (no '.', '..' or empty parts), and the root is absolute with no
    // trailing slash: paths are joined by concatenation, without path.join's normalising per part.
    const parts = target.split('/').filter(Boolean);
    const inRoot = (p: string) => this.root + p;
    let current = '/';
    let hops = 0;
    while (parts.length > 0) {
      const part = parts.shift()!;
      const next = current === '/' ? `/${part}` : `${current}/${part}`;
      const isLast = parts.length === 0;
      if (isLast && !followLast) return inRoot(next);
      if (this.plain.has(next)) {
        current = next;
        continue;
      }
      let st: Stats;
      try {
        st = lstatSync(inRoot(next));
      } catch (err) {
        if (isMissing(err)) return isLast ? inRoot(next) : undefined;
        throw wrap(err, next);
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_LINK_HOPS) return undefined;
        const link = readlinkSync(inRoot(next));
        const resolved = link.startsWith('/') ? link : path.posix.join(current, link);
        parts.unshift(...clean(resolved).split('/').filter(Boolean));
        current = '/';
        continue;
      }
      this.plain.add(next);
      current = next;
    }
    return current === '/' ? this.root : inRoot(current);
  }

  async readFile(p: string): Promise<string | undefined> {
    if (!this.chrooted && isKernelFs(clean(p))) return syncOr(() => readFileSync(clean(p), 'utf8'), undefined, p);
    const real = await this.resolve(p, true);
    if (real === undefined) return undefined;
    try {
      return await fs.readFile(real, 'utf8');
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw wrap(err, p);
    }
  }

  async readDir(p: string): Promise<string[] | undefined> {
    if (!this.chrooted && isKernelFs(clean(p))) return syncOr(() => readdirSync(clean(p)).sort(), undefined, p);
    const real = await this.resolve(p, true);
    if (real === undefined) return undefined;
    try {
      return (await fs.readdir(real)).sort();
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw wrap(err, p);
    }
  }

  async lstat(p: string): Promise<FileStat | undefined> {
    if (!this.chrooted && isKernelFs(clean(p))) return syncOr(() => toFileStat(lstatSync(clean(p))), undefined, p);
    const real = await this.resolve(p, false);
    if (real === undefined) return undefined;
    try {
      return toFileStat(await fs.lstat(real));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw wrap(err, p);
    }
  }

  async stat(p: string): Promise<FileStat | undefined> {
    if (!this.chrooted && isKernelFs(clean(p))) return syncOr(() => toFileStat(statSync(clean(p))), undefined, p);
    const real = await this.resolve(p, true);
    if (real === undefined) return undefined;
    try {
      return toFileStat(await fs.stat(real));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw wrap(err, p);
    }
  }

  async readLink(p: string): Promise<string | undefined> {
    if (!this.chrooted && isKernelFs(clean(p))) return syncOr(() => readlinkSync(clean(p)), undefined, p);
    const real = await this.resolve(p, false);
    if (real === undefined) return undefined;
    try {
      return await fs.readlink(real);
    } catch (err) {
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw wrap(err, p);
    }
  }

  async run(command: CommandId): Promise<CommandResult | undefined> {
    // Commands only make sense on the running host itself; an offline root has no runtime.
    if (this.mode !== 'live') return undefined;
    const spec: CommandSpec = COMMANDS[command];
    const file = await findExecutable(spec.file);
    if (file === undefined) return undefined;
    if (spec.cache && this.cacheDir) {
      const hit = await readCachedCommand(this.cacheDir, command, spec.cache);
      if (hit) return hit;
      const fresh = await this.execute(file, spec);
      await writeCachedCommand(this.cacheDir, command, fresh);
      return fresh;
    }
    return this.execute(file, spec);
  }

  private execute(file: string, spec: CommandSpec): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      execFile(
        file,
        [...spec.args],
        {
          timeout: spec.timeoutMs,
          maxBuffer: MAX_OUTPUT,
          env: { PATH: COMMAND_SEARCH_PATH.join(':'), LC_ALL: 'C', LANG: 'C' },
          windowsHide: true,
        },
        (err, stdout, stderr) => {
          if (err && (err as NodeJS.ErrnoException & { killed?: boolean }).killed) {
            reject(new HostReadError('timeout', `${spec.file} did not finish within ${spec.timeoutMs} ms`));
            return;
          }
          if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') return reject(new HostReadError('failed', `${spec.file} vanished while running`));
            if (code === 'EACCES') return reject(new HostReadError('permission', `permission denied running ${spec.file}`));
            return reject(new HostReadError('failed', `${spec.file} failed: ${err.message}`));
          }
          const exitCode = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
          resolve({ exitCode, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
  }
}

const executableCache = new Map<string, string | undefined>();

/**
 * Look a program up in the fixed search path (never $PATH). Synchronous on purpose: a dozen
 * programs times six directories are dentry-cache lookups of microseconds each, cheaper than
 * as many threadpool round trips.
 */
export async function findExecutable(name: string): Promise<string | undefined> {
  if (executableCache.has(name)) return executableCache.get(name);
  let found: string | undefined;
  for (const dir of COMMAND_SEARCH_PATH) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsc.X_OK);
      found = candidate;
      break;
    } catch {
      // not here; keep looking
    }
  }
  executableCache.set(name, found);
  return found;
}

/**
 * A captured machine for tests: a directory laid out like the host's root, with command
 * outputs captured as `.rampart-exec/<command-id>.json` ({exitCode, stdout, stderr}).
 * A command without a capture is "not installed".
 */
export class FixtureHost extends FsHost {
  constructor(root: string, options: { live?: boolean } = {}) {
    super({ mode: 'fixture', root, live: options.live ?? true });
  }

  override async run(command: CommandId): Promise<CommandResult | undefined> {
    const capture = await this.readFile(`/.rampart-exec/${command}.json`);
    if (capture === undefined) return undefined;
    const parsed = JSON.parse(capture) as Partial<CommandResult> & { timeout?: boolean };
    if (parsed.timeout) throw new HostReadError('timeout', `${COMMANDS[command].file} did not finish (captured timeout)`);
    return { exitCode: parsed.exitCode ?? 0, stdout: parsed.stdout ?? '', stderr: parsed.stderr ?? '' };
  }
}

export function liveHost(options: { cacheDir?: string } = {}): FsHost {
  return new FsHost({ mode: 'live', root: '/', live: true, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) });
}

/** An offline root: a mounted filesystem or unpacked image. Runtime files count only if present. */
export function offlineRootHost(root: string): FsHost {
  return new FsHost({ mode: 'offline-root', root, live: false });
}
