/**
 * @module Build the agent's .deb with dpkg-deb: the staged payload (agent-payload.ts), a control
 * file and the maintainer scripts. No conffiles on purpose: agent.env is the package's own (it
 * carries the collector URL and the enrollment token and is replaced on upgrade); local settings
 * live in /etc/rampart-agent/local.env, which no package owns.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../shared/errors.js';
import { stagePayload } from './agent-payload.js';
import { renderPostinst, renderPostrm, renderPrerm } from './maintainer-scripts.js';
import { agencySlug, type PackageSpec } from './package-spec.js';

const run = promisify(execFile);

/** zstd: fast and read by dpkg 1.21.18+ (Debian 12, Ubuntu 22.04); xz/gzip for older dpkg. */
export const DEB_COMPRESSION = ['zstd', 'xz', 'gzip'] as const;
export type DebCompression = (typeof DEB_COMPRESSION)[number];

async function duKiB(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else total += (await fs.lstat(p)).size;
    }
  };
  await walk(dir);
  return Math.ceil(total / 1024);
}

export function renderControl(spec: PackageSpec, installedKiB: number): string {
  const sea = spec.runtime === 'sea';
  return [
    'Package: rampart-agent',
    `Version: ${spec.packageVersion}`,
    `Architecture: ${sea ? 'amd64' : 'all'}`,
    'Maintainer: Rampart collector operators <root@localhost>',
    `Installed-Size: ${installedKiB}`,
    `Depends: adduser | passwd${sea ? ', libc6 (>= 2.28), libstdc++6' : ''}`,
    ...(sea ? [] : ['Recommends: nodejs (>= 20)']),
    'Section: admin',
    'Priority: optional',
    `Description: Rampart compliance agent for ${spec.agency}`,
    ` Scans this host against network-hardening rule packs and streams the results to`,
    ` the Rampart collector at ${spec.serverUrl}. Enrolls with the baked-in token on`,
    ` first start, then reports on a schedule. State: /var/lib/rampart-agent.`,
    '',
  ].join('\n');
}

export interface BuildResult {
  file: string;
  bytes: number;
}

/** Build rampart-agent_<version>_<agency>_<arch>.deb in outDir. */
export async function buildDeb(spec: PackageSpec, outDir: string, options: { compression?: DebCompression; builtAt?: string } = {}): Promise<BuildResult> {
  const builtAt = options.builtAt ?? new Date().toISOString();
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-deb-'));
  try {
    await fs.chmod(stage, 0o755);
    await stagePayload(stage, spec, builtAt);
    const debian = path.join(stage, 'DEBIAN');
    await fs.mkdir(debian, { mode: 0o755 });
    const installed = await duKiB(stage);
    await fs.writeFile(path.join(debian, 'control'), renderControl(spec, installed), { mode: 0o644 });
    for (const [name, text] of [['postinst', renderPostinst()], ['prerm', renderPrerm()], ['postrm', renderPostrm()]] as const) {
      await fs.writeFile(path.join(debian, name), text, { mode: 0o755 });
      await fs.chmod(path.join(debian, name), 0o755);
    }
    await fs.mkdir(outDir, { recursive: true });
    const file = path.join(outDir, `rampart-agent_${spec.packageVersion}_${agencySlug(spec.agency)}_${spec.runtime === 'sea' ? 'amd64' : 'all'}.deb`);
    try {
      await run('dpkg-deb', ['--root-owner-group', `-Z${options.compression ?? 'zstd'}`, '--build', stage, file], { maxBuffer: 4 * 1024 * 1024 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new AppError('ERR_PACKAGE_BUILD', 'dpkg-deb is not installed (Debian/Ubuntu package dpkg-dev or dpkg); use --format tar otherwise');
      throw new AppError('ERR_PACKAGE_BUILD', `dpkg-deb failed: ${(e.stderr ?? e.message).trim()}`);
    }
    return { file, bytes: (await fs.stat(file)).size };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}
