/**
 * @module Build the agent's tar installer for hosts without dpkg (RHEL and other rpm sites, see
 * docs/install.md): rampart-agent-<version>-<agency>-linux-x64.tar.gz holding the same payload as
 * the deb (payload.tar, extracted at /), install.sh (install or upgrade in place), uninstall.sh
 * [--purge] and the same maintainer scripts, which install.sh and uninstall.sh call the way dpkg
 * would. MANIFEST lists every installed file so an upgrade drops files the new version no longer
 * ships and uninstall removes exactly what was installed.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../shared/errors.js';
import { stagePayload } from './agent-payload.js';
import type { BuildResult } from './deb.js';
import { renderPostinst, renderPostrm, renderPrerm } from './maintainer-scripts.js';
import { AGENT_PATHS, agencySlug, type PackageSpec } from './package-spec.js';

const run = promisify(execFile);
const L = AGENT_PATHS.libDir;

export function renderInstallScript(version: string): string {
  return `#!/bin/sh
# Install or upgrade the Rampart agent ${version} from this directory. Run as root.
# Upgrades keep ${AGENT_PATHS.stateDir} (identity, outbox): no re-enrollment.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "rampart-agent: run install.sh as root" >&2; exit 1; fi
old=""
if [ -f ${L}/MANIFEST ]; then
  old=$(sed -n 's/.*"version": *"\\([^"]*\\)".*/\\1/p' ${AGENT_PATHS.packageInfo} 2>/dev/null || echo unknown)
  # Files the previous version installed and this one does not.
  grep -vxF -f "$here/MANIFEST" ${L}/MANIFEST | while IFS= read -r f; do rm -f "$f"; done || true
fi
tar -C / --unlink-first --keep-directory-symlink -xpf "$here/payload.tar"
sh ${L}/postinst configure "$old"
echo "rampart-agent ${version} installed$([ -n "$old" ] && echo " (upgraded from $old)")."
`;
}

export function renderUninstallScript(): string {
  return `#!/bin/sh
# Remove the Rampart agent: everything but ${AGENT_PATHS.stateDir}; with --purge, that too
# (and /etc/rampart-agent and the service account). Run as root.
set -eu
if [ "$(id -u)" -ne 0 ]; then echo "rampart-agent: run uninstall.sh as root" >&2; exit 1; fi
if [ ! -f ${L}/MANIFEST ]; then echo "rampart-agent: not installed from a tar (no ${L}/MANIFEST)" >&2; exit 1; fi
tmp=$(mktemp -d)
cp ${L}/MANIFEST ${L}/prerm ${L}/postrm "$tmp/"
sh "$tmp/prerm" remove
while IFS= read -r f; do rm -f "$f"; done < "$tmp/MANIFEST"
for d in ${L}/rules ${L} ${AGENT_PATHS.trustedKeysDir} ${AGENT_PATHS.etcDir} ${AGENT_PATHS.docDir}; do rmdir "$d" 2>/dev/null || true; done
sh "$tmp/postrm" remove
if [ "\${1:-}" = --purge ]; then sh "$tmp/postrm" purge; fi
rm -rf "$tmp"
echo "rampart-agent removed$([ "\${1:-}" = --purge ] && echo ", state purged" || echo "; state kept in ${AGENT_PATHS.stateDir}")."
`;
}

async function tar(args: string[]): Promise<void> {
  try {
    await run('tar', args, { maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new AppError('ERR_PACKAGE_BUILD', e.code === 'ENOENT' ? 'tar is not installed' : `tar failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Build rampart-agent-<version>-<agency>-linux-x64.tar.gz (or -noarch for --runtime node) in outDir. */
export async function buildTar(spec: PackageSpec, outDir: string, options: { builtAt?: string } = {}): Promise<BuildResult> {
  const builtAt = options.builtAt ?? new Date().toISOString();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-tar-'));
  try {
    const stage = path.join(work, 'root');
    const name = `rampart-agent-${spec.packageVersion}-${agencySlug(spec.agency)}-${spec.runtime === 'sea' ? 'linux-x64' : 'noarch'}`;
    const top = path.join(work, name);
    await fs.mkdir(stage, { mode: 0o755 });
    await fs.mkdir(top, { mode: 0o755 });
    const files = await stagePayload(stage, spec, builtAt);
    const scripts: Array<[string, string]> = [
      ['postinst', renderPostinst()],
      ['prerm', renderPrerm()],
      ['postrm', renderPostrm()],
      ['uninstall.sh', renderUninstallScript()],
    ];
    for (const [n, text] of scripts) {
      await fs.writeFile(path.join(stage, L, n), text, { mode: 0o755 });
      files.push(`${L}/${n}`);
    }
    files.push(`${L}/MANIFEST`);
    const manifest = files.sort().join('\n') + '\n';
    await fs.writeFile(path.join(stage, L, 'MANIFEST'), manifest, { mode: 0o644 });
    await fs.writeFile(path.join(top, 'MANIFEST'), manifest, { mode: 0o644 });
    await fs.writeFile(path.join(top, 'install.sh'), renderInstallScript(spec.packageVersion), { mode: 0o755 });
    await fs.writeFile(path.join(top, 'uninstall.sh'), renderUninstallScript(), { mode: 0o755 });
    // Files and symlinks only, no directory entries: extracting never changes an existing directory
    // (/usr, /etc, or /lib when it is a symlink to usr/lib); tar creates missing parents.
    const list = path.join(work, 'payload.list');
    await fs.writeFile(list, files.map((f) => f.replace(/^\/+/, '')).join('\n') + '\n');
    await tar(['--owner=0', '--group=0', '--numeric-owner', '--no-recursion', '-C', stage, '-cf', path.join(top, 'payload.tar'), '-T', list]);
    await fs.mkdir(outDir, { recursive: true });
    const file = path.join(outDir, `${name}.tar.gz`);
    await tar(['--owner=0', '--group=0', '--numeric-owner', '-C', work, '-czf', file, name]);
    return { file, bytes: (await fs.stat(file)).size };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
