/**
 * @module `rampart server package --agency A --format deb|rpm|tar`: an agent installer for one agency
 * with the collector URL, its CA certificate (when TLS is on) and a fresh enrollment token baked
 * into its configuration (the token is created through the store like `server token create`; only
 * its hash is stored). docs/install.md tells administrators what to do with the result.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { VERSION } from '../../shared/version.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { DEFAULT_PORT } from '../config.js';
import { ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../tokens.js';
import { auditAdmin, cliActor } from '../store/admin-audit.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, parseDuration, positiveInt, withStore, type ServerCommandIO } from './cli-io.js';

export const PACKAGE_HELP = `Usage: rampart server package --agency NAME --format deb|rpm|tar [options]

Build an agent installer for one agency: installing it places the agent, a hardened systemd unit
and the rampart-agent service account; the agent enrolls on first start with a token baked into
the package and starts reporting. Upgrades keep the agent's identity and outbox.

Options:
  --agency NAME         Agency the hosts join (required; must exist).
  --format FORMAT       deb (dpkg-deb), rpm (rpmbuild; Debian package rpm) or tar (tar.gz with
                        install.sh/uninstall.sh, for any systemd Linux).
  --out DIR             Where to write the installer (default: current directory).
  --server-url URL      Collector URL the agents use (default: https://<this host name>:${DEFAULT_PORT} when
                        the collector has --tls-cert or --ca is given, else http://).
  --ca FILE             The collector's CA certificate (PEM), installed as /etc/rampart-agent/ca.pem.
  --trusted-key FILE    Public key trusted to sign rule packs (repeatable), in /etc/rampart-agent/trusted-keys.
  --uses N              Hosts that may enroll with the package's token (default 1000).
  --expires DURATION    Token lifetime: 12h, 30d, 8w (default 30d). Enrolled hosts are unaffected.
  --package-version V   Package version (default ${VERSION}); raise it to publish an upgrade (0.1.0-2).
  --runtime RUNTIME     sea (default: single executable, no Node.js on hosts) or node (the .mjs bundle
                        run by the host's Node.js 20+; a ~1 MB package).
  --compress TYPE       deb compression: zstd (default; dpkg 1.21.18+), xz or gzip for older dpkg.
  --agent-dir DIR       The agent build (default: dist/agent, from npm run build:agent-sea).
${DATA_DIR_HELP}
  -h, --help            Show this help.

The package holds a live enrollment token: store and hand it out like a credential.
`;

export async function packageCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...HELP_OPTION,
      ...DATA_DIR_OPTION,
      agency: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'server-url': { type: 'string' },
      ca: { type: 'string' },
      'trusted-key': { type: 'string', multiple: true },
      uses: { type: 'string' },
      expires: { type: 'string' },
      'package-version': { type: 'string' },
      runtime: { type: 'string' },
      compress: { type: 'string' },
      'agent-dir': { type: 'string' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(PACKAGE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new AppError('ERR_USAGE', `unexpected argument "${positionals[0]}"; run \`rampart server package --help\``);
  if (!values.agency) throw new AppError('ERR_USAGE', '--agency NAME is required');
  const format = values.format;
  if (format !== 'deb' && format !== 'rpm' && format !== 'tar') throw new AppError('ERR_USAGE', '--format deb|rpm|tar is required');
  const runtime = values.runtime ?? 'sea';
  if (runtime !== 'sea' && runtime !== 'node') throw new AppError('ERR_USAGE', `--runtime takes sea or node, not "${runtime}"`);
  const { DEB_COMPRESSION, buildDeb } = await import('../packaging/deb.js');
  const compress = values.compress ?? 'zstd';
  if (!(DEB_COMPRESSION as readonly string[]).includes(compress)) throw new AppError('ERR_USAGE', `--compress takes ${DEB_COMPRESSION.join(', ')}`);
  const uses = values.uses === undefined ? 1000 : positiveInt(values.uses, '--uses');
  const ttl = parseDuration(values.expires ?? '30d', '--expires');
  const readText = async (file: string, what: string) => {
    try {
      return await readFile(path.resolve(file), 'utf8');
    } catch (err) {
      throw new AppError('ERR_FILE_NOT_FOUND', `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const caPem = values.ca ? await readText(values.ca, '--ca') : undefined;
  const trustedKeys = await Promise.all(
    (values['trusted-key'] ?? []).map(async (f) => ({ name: path.basename(f).replace(/\.(pub|pem)$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'key', pem: await readText(f, '--trusted-key') })),
  );
  const config = configFor(values, io.env);
  // A collector started with --tls-cert (RAMPART_TLS_CERT) serves https; so does one whose CA is given.
  const tls = caPem !== undefined || config.tlsCert !== undefined;
  const serverUrl = values['server-url'] ?? `${tls ? 'https' : 'http'}://${os.hostname()}:${DEFAULT_PORT}`;
  const { PackageSpecSchema } = await import('../packaging/package-spec.js');
  const { defaultAgentDir } = await import('../packaging/agent-payload.js');
  const draft = {
    agency: values.agency,
    serverUrl,
    token: generateToken(ENROLL_TOKEN_PREFIX),
    packageVersion: values['package-version'] ?? VERSION,
    runtime,
    agentDir: path.resolve(values['agent-dir'] ?? defaultAgentDir()),
    ...(caPem ? { caPem } : {}),
    trustedKeys,
    agentVersion: VERSION,
  };
  const checked = PackageSpecSchema.safeParse(draft);
  if (!checked.success) {
    throw new AppError('ERR_PACKAGE_BUILD', `cannot bake these values into a package:\n${checked.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const spec = checked.data;
  // Check the agent build before spending a token on a package that cannot be built.
  (await import('../packaging/agent-payload.js')).agentBuildFiles(spec);
  const now = new Date();
  const created = await withStore(config, async (s) => {
    const made = await s.createEnrollToken({ agencyName: spec.agency, tokenHash: hashToken(spec.token), expiresAt: new Date(now.getTime() + ttl).toISOString(), uses, now: now.toISOString() });
    // Audited like `server token create` (never the token or its hash), naming the package it went into.
    await auditAdmin(s, {
      actor: cliActor(),
      action: 'token.create',
      objectType: 'enroll-token',
      objectId: made.agency.name,
      after: { agency: made.agency.name, uses: made.uses, expiresAt: made.expiresAt, package: { format, version: spec.packageVersion, runtime: spec.runtime, serverUrl: spec.serverUrl } },
    });
    return made;
  });
  const outDir = path.resolve(values.out ?? '.');
  const result =
    format === 'deb'
      ? await buildDeb(spec, outDir, { compression: compress as (typeof DEB_COMPRESSION)[number], builtAt: now.toISOString() })
      : format === 'rpm'
        ? await (await import('../packaging/rpm.js')).buildRpm(spec, outDir, { builtAt: now.toISOString() })
        : await (await import('../packaging/tar.js')).buildTar(spec, outDir, { builtAt: now.toISOString() });
  io.stdout.write(`${result.file}\n`);
  process.stderr.write(
    `built ${format} ${spec.packageVersion} (${spec.runtime}, ${(result.bytes / 1048576).toFixed(1)} MiB) for agency "${created.agency.name}": collector ${spec.serverUrl}` +
      `${spec.caPem ? ', CA certificate included' : ''}; its enrollment token allows ${uses} host(s) until ${created.expiresAt}. Treat the file as a credential.\n`,
  );
  return EXIT.ok;
}
