/**
 * @module Build the agent's .rpm with rpmbuild (Debian's `rpm` package provides it): the same
 * staged payload as the deb, with the unit under /usr/lib/systemd/system, and the same maintainer
 * scripts run from rpm scriptlets. rpm passes counts, not dpkg's words: %post gets 1 on install and
 * 2+ on upgrade (→ postinst configure [upgrade]); %preun/%postun get 0 only on erase (→ prerm/postrm
 * remove); an upgrade's old-package scriptlets do nothing. rpm has no purge: `rpm -e` keeps the
 * state, docs/install.md gives the commands that delete it. Nothing is stripped or post-processed
 * (stripping would drop the single executable's injected agent).
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
const RPM_UNIT = '/usr/lib/systemd/system/rampart-agent.service';

/** "0.1.0-2" → version 0.1.0, release 2; "0.2.0" → release 1 (rpm versions cannot hold "-"). */
export function rpmVersion(packageVersion: string): { version: string; release: string } {
  const [version, ...rest] = packageVersion.split('-');
  return { version: version!, release: rest.length > 0 ? rest.join('.') : '1' };
}

const body = (script: string) => script.replace(/^#!\/bin\/sh\n/, '');

export function renderSpec(spec: PackageSpec, files: Array<{ path: string; mode: number; dir?: boolean; link?: boolean }>, builtAt: string): string {
  const { version, release } = rpmVersion(spec.packageVersion);
  const fileLines = files.map((f) => (f.dir ? `%dir ${f.path}` : f.link ? f.path : `%attr(${(f.mode & 0o7777).toString(8).padStart(4, '0')},root,root) ${f.path}`));
  return [
    '%global debug_package %{nil}',
    '%global __os_install_post %{nil}',
    '%global __strip /bin/true',
    '%global _build_id_links none',
    '%global _binary_payload w3.zstdio',
    'Name: rampart-agent',
    `Version: ${version}`,
    `Release: ${release}`,
    `Summary: Rampart compliance agent for ${spec.agency}`,
    'License: Apache-2.0',
    `BuildArch: ${spec.runtime === 'sea' ? 'x86_64' : 'noarch'}`,
    'AutoReqProv: no',
    '',
    '%description',
    `Scans this host against network-hardening rule packs and streams the results to the`,
    `Rampart collector at ${spec.serverUrl}. Enrolls with the baked-in token on first start.`,
    `Built ${builtAt}. State: ${AGENT_PATHS.stateDir}.`,
    '',
    '%install',
    'cp -a %{rampart_root}/. %{buildroot}/',
    '',
    '%files',
    ...fileLines,
    '',
    '%post',
    'if [ "$1" -gt 1 ]; then set -- configure upgrade; else set -- configure ""; fi',
    body(renderPostinst()),
    '%preun',
    'if [ "$1" -ne 0 ]; then exit 0; fi',
    'set -- remove',
    body(renderPrerm()),
    '%postun',
    'if [ "$1" -ne 0 ]; then exit 0; fi',
    'set -- remove',
    body(renderPostrm()),
    '',
  ].join('\n');
}

/** Build rampart-agent-<version>-<release>.<agency>.<arch>.rpm in outDir. */
export async function buildRpm(spec: PackageSpec, outDir: string, options: { builtAt?: string } = {}): Promise<BuildResult> {
  const builtAt = options.builtAt ?? new Date().toISOString();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-rpm-'));
  try {
    const root = path.join(work, 'root');
    const staged = await stagePayload(root, spec, builtAt);
    // RPM-based systems keep units in /usr/lib/systemd/system (/lib is a symlink there).
    await fs.mkdir(path.join(root, path.dirname(RPM_UNIT)), { recursive: true });
    await fs.rename(path.join(root, AGENT_PATHS.unit), path.join(root, RPM_UNIT));
    await fs.rm(path.join(root, 'lib'), { recursive: true, force: true });
    const files: Array<{ path: string; mode: number; dir?: boolean; link?: boolean }> = [];
    for (const f of staged.map((p) => (p === AGENT_PATHS.unit ? RPM_UNIT : p)).sort()) {
      const st = await fs.lstat(path.join(root, f));
      files.push({ path: f, mode: st.mode, link: st.isSymbolicLink() });
    }
    // Directories the package owns (removed with it when empty).
    for (const d of [AGENT_PATHS.libDir, `${AGENT_PATHS.libDir}/rules`, AGENT_PATHS.etcDir, AGENT_PATHS.trustedKeysDir, AGENT_PATHS.docDir]) {
      if (await fs.stat(path.join(root, d)).then(() => true, () => false)) files.push({ path: d, mode: 0o755, dir: true });
    }
    const specFile = path.join(work, 'rampart-agent.spec');
    await fs.writeFile(specFile, renderSpec(spec, files, builtAt));
    const top = path.join(work, 'rpmbuild');
    try {
      await run('rpmbuild', ['-bb', '--define', `_topdir ${top}`, '--define', `rampart_root ${root}`, '--define', '_tmppath %{_topdir}/tmp', specFile], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new AppError('ERR_PACKAGE_BUILD', 'rpmbuild is not installed (Debian/Ubuntu package rpm; RHEL rpm-build); use --format tar otherwise');
      throw new AppError('ERR_PACKAGE_BUILD', `rpmbuild failed: ${(e.stderr ?? e.message).trim().slice(-2000)}`);
    }
    const arch = spec.runtime === 'sea' ? 'x86_64' : 'noarch';
    const { version, release } = rpmVersion(spec.packageVersion);
    const built = path.join(top, 'RPMS', arch, `rampart-agent-${version}-${release}.${arch}.rpm`);
    await fs.mkdir(outDir, { recursive: true });
    const file = path.join(outDir, `rampart-agent-${version}-${release}.${agencySlug(spec.agency)}.${arch}.rpm`);
    await fs.copyFile(built, file);
    return { file, bytes: (await fs.stat(file)).size };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
