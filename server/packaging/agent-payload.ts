/**
 * @module The files every agent installer places, staged under a directory laid out like "/":
 * the agent (single executable, or the .mjs bundle and its scan-worker bundle plus a node wrapper), the shipped rule packs
 * beside it, the first-start launcher (enroll once, then run), the configuration with the
 * collector URL, CA and enrollment token baked in, and the hardened systemd unit. The deb and the
 * tar builders wrap the same tree.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/errors.js';
import { renderUnit } from '../../agent/daemon/systemd-unit.js';
import { AGENT_PATHS, type PackageSpec } from './package-spec.js';

/** The agent build files a package needs, checked before anything is staged. */
export function agentBuildFiles(spec: Pick<PackageSpec, 'agentDir' | 'runtime'>): { program: string; worker?: string[]; rulesDir: string } {
  const program = path.join(spec.agentDir, spec.runtime === 'sea' ? 'rampart-agent' : 'rampart-agent.mjs');
  // What the scan processes run (agent/worker/boot.ts); a single executable carries it as an asset.
  const worker = spec.runtime === 'sea' ? undefined : ['scan-worker.cjs', 'scan-worker-boot.cjs'].map((f) => path.join(spec.agentDir, f));
  const rulesDir = path.join(spec.agentDir, 'rules');
  const missing = [program, ...(worker ?? []), path.join(rulesDir, 'directives.yaml')].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    const how = spec.runtime === 'sea' ? 'npm run build:agent-sea' : 'npm run build:agent';
    throw new AppError('ERR_PACKAGE_BUILD', `the agent build is missing ${missing.join(', ')}; run \`${how}\` (or pass --agent-dir DIR)`);
  }
  return { program, ...(worker ? { worker } : {}), rulesDir };
}

/** Default agent build: dist/agent beside the running CLI (dist/rampart.js), else the source tree's dist/agent. */
export function defaultAgentDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (path.basename(dir) === 'dist') return path.join(dir, 'agent');
    if (existsSync(path.join(dir, 'dist', 'agent'))) return path.join(dir, 'dist', 'agent');
    dir = path.dirname(dir);
  }
  return path.resolve('dist', 'agent');
}

function findDoc(name: string): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, 'docs', name);
    if (existsSync(f)) return f;
    dir = path.dirname(dir);
  }
  return undefined;
}

const q = (v: string) => `'${v}'`;

export function renderEnvFile(spec: PackageSpec, builtAt: string): string {
  const lines = [
    `# Written by \`rampart server package\` for agency ${q(spec.agency)} (package ${spec.packageVersion}, ${builtAt}).`,
    '# Replaced on upgrade, removed with the package. Local settings (HTTPS_PROXY, NO_PROXY,',
    `# RAMPART_SCHEDULE, RAMPART_LOG_LEVEL ...; docs/install.md) go in ${AGENT_PATHS.localEnvFile}.`,
    '# Read by the launcher as POSIX shell assignments; values must stay in single quotes.',
    `RAMPART_SERVER=${q(spec.serverUrl)}`,
    `RAMPART_STATE_DIR=${q(AGENT_PATHS.stateDir)}`,
    ...(spec.caPem ? [`RAMPART_CA_FILE=${q(AGENT_PATHS.caFile)}`] : []),
    ...(spec.trustedKeys.length > 0 ? [`RAMPART_TRUSTED_KEYS=${q(AGENT_PATHS.trustedKeysDir)}`] : []),
    `RAMPART_PACKAGE_AGENCY=${q(spec.agency)}`,
    '# One-time enrollment token: used on first start only (never once this host is enrolled).',
    `RAMPART_ENROLL_TOKEN=${q(spec.token)}`,
    '',
  ];
  return lines.join('\n');
}

/** The first-start launcher: enroll once with the baked token, then exec the agent. */
export function renderLauncher(): string {
  return `#!/bin/sh
# Installed by the rampart-agent package. Enrolls this host on first start with the token in
# ${AGENT_PATHS.envFile}, then runs the agent with the given arguments (default: agent run).
# An enrolled host (identity.json in the state directory) never enrolls again: upgrades keep
# the identity and the outbox.
set -eu
set -a
if [ -r ${AGENT_PATHS.envFile} ]; then . ${AGENT_PATHS.envFile}; fi
if [ -r ${AGENT_PATHS.localEnvFile} ]; then . ${AGENT_PATHS.localEnvFile}; fi
set +a
# The agent's runtime flags are its own: a host-wide NODE_OPTIONS must not change it.
unset NODE_OPTIONS
BIN=${AGENT_PATHS.binary}
STATE="\${RAMPART_STATE_DIR:-${AGENT_PATHS.stateDir}}"
if [ "$#" -eq 0 ]; then set -- agent run; fi
if [ ! -s "$STATE/identity.json" ]; then
  if [ -z "\${RAMPART_ENROLL_TOKEN:-}" ]; then
    echo "rampart-agent: not enrolled and no RAMPART_ENROLL_TOKEN in ${AGENT_PATHS.envFile}" >&2
    exit 2
  fi
  "$BIN" agent enroll --state-dir "$STATE" --agency "\${RAMPART_PACKAGE_AGENCY:-}"
fi
unset RAMPART_ENROLL_TOKEN
exec "$BIN" "$@"
`;
}

/** For --runtime node: run the bundle with the host's Node.js. */
export function renderNodeWrapper(): string {
  return `#!/bin/sh
# Runs the Rampart agent bundle with this host's Node.js (20 or newer; RAMPART_NODE names another).
for n in "\${RAMPART_NODE:-}" /usr/bin/node /usr/local/bin/node; do
  if [ -n "$n" ] && [ -x "$n" ]; then exec "$n" ${AGENT_PATHS.libDir}/rampart-agent.mjs "$@"; fi
done
echo "rampart-agent: Node.js 20+ not found (install it, or set RAMPART_NODE)" >&2
exit 3
`;
}

/** The hardened unit of agent/daemon/systemd-unit.ts, run as the service account through the launcher. */
export function renderPackageUnit(): string {
  const unit = renderUnit({ nodePath: '/bin/sh', entryPath: AGENT_PATHS.launcher, stateDir: AGENT_PATHS.stateDir, user: AGENT_PATHS.user });
  return unit
    .split('\n')
    .map((line, i) => {
      if (i === 0 && line.startsWith('#')) return '# Installed by the rampart-agent package. Local changes: systemctl edit rampart-agent';
      if (line.startsWith('Documentation=')) return `Documentation=file://${AGENT_PATHS.docDir}/install.md`;
      return line;
    })
    .join('\n');
}

async function write(root: string, abs: string, content: string | Buffer, mode: number): Promise<void> {
  const dest = path.join(root, abs);
  await fs.mkdir(path.dirname(dest), { recursive: true, mode: 0o755 });
  await fs.writeFile(dest, content, { mode });
  await fs.chmod(dest, mode);
}

/**
 * Stage the installed tree under `root` (mode bits as installed; owners are set by the installer:
 * everything root, agent.env group rampart-agent). Returns the absolute installed paths of the
 * files (not directories), for the tar's uninstaller.
 */
export async function stagePayload(root: string, spec: PackageSpec, builtAt: string): Promise<string[]> {
  const { program, worker, rulesDir } = agentBuildFiles(spec);
  const files: string[] = [];
  const put = async (abs: string, content: string | Buffer, mode: number) => {
    await write(root, abs, content, mode);
    files.push(abs);
  };
  if (spec.runtime === 'sea') {
    await fs.mkdir(path.join(root, AGENT_PATHS.libDir), { recursive: true });
    await fs.copyFile(program, path.join(root, AGENT_PATHS.binary));
    await fs.chmod(path.join(root, AGENT_PATHS.binary), 0o755);
    files.push(AGENT_PATHS.binary);
  } else {
    await put(`${AGENT_PATHS.libDir}/rampart-agent.mjs`, await fs.readFile(program), 0o644);
    for (const f of worker ?? []) await put(`${AGENT_PATHS.libDir}/${path.basename(f)}`, await fs.readFile(f), 0o644);
    await put(AGENT_PATHS.binary, renderNodeWrapper(), 0o755);
  }
  for (const f of (await fs.readdir(rulesDir)).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    await put(`${AGENT_PATHS.libDir}/rules/${f}`, await fs.readFile(path.join(rulesDir, f)), 0o644);
  }
  await put(AGENT_PATHS.launcher, renderLauncher(), 0o755);
  const info = { package: 'rampart-agent', version: spec.packageVersion, agentVersion: spec.agentVersion, agency: spec.agency, serverUrl: spec.serverUrl, runtime: spec.runtime, builtAt };
  await put(AGENT_PATHS.packageInfo, JSON.stringify(info, null, 2) + '\n', 0o644);
  await fs.mkdir(path.join(root, path.dirname(AGENT_PATHS.binLink)), { recursive: true });
  await fs.symlink(path.relative(path.dirname(AGENT_PATHS.binLink), AGENT_PATHS.binary), path.join(root, AGENT_PATHS.binLink));
  files.push(AGENT_PATHS.binLink);
  await put(AGENT_PATHS.envFile, renderEnvFile(spec, builtAt), 0o640);
  if (spec.caPem) await put(AGENT_PATHS.caFile, spec.caPem, 0o644);
  for (const k of spec.trustedKeys) await put(`${AGENT_PATHS.trustedKeysDir}/${k.name}.pub`, k.pem, 0o644);
  await put(AGENT_PATHS.unit, renderPackageUnit(), 0o644);
  const doc = findDoc('install.md');
  if (doc) await put(`${AGENT_PATHS.docDir}/install.md`, await fs.readFile(doc), 0o644);
  return files;
}
