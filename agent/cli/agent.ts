/**
 * @module `rampart agent enroll|run|install-service|status`: the agent daemon's command line.
 * Flags and RAMPART_* variables become one validated, frozen config (daemon/config.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, isAppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { AgentFlags, AgentConfig } from '../daemon/config.js';
import { AGENT_EXIT } from '../daemon/exit-codes.js';
import { leanCompiler } from '../daemon/lean-runtime.js';
import { statePaths } from '../daemon/state-dir.js';
import { EXIT, parse, reportError } from './args.js';

export const AGENT_HELP = `Usage: rampart agent <enroll|run|install-service|status> [options]

  enroll --server URL --token T [--state-dir DIR] [--agency NAME] [--force]
        Create this host's Ed25519 identity and exchange the one-time token for an agent id.
        The token may also come from RAMPART_ENROLL_TOKEN (keeps it out of the process list).
  run [--state-dir DIR] [--once] [--timeout SECONDS] [--server URL]... [--schedule CRON]
      [--jitter SECONDS] [--pack FILE]... [--tailoring FILE] [--log-level LEVEL]
      [--trusted-keys DIR] [--allow-unsigned]
      [--scan-memory-mb MB] [--scan-cpu-seconds S] [--scan-timeout S]
        Scan at start and on the schedule (default hourly, up to 600 s random delay) and stream
        what changed to the collector. --once: one scan, wait until everything is acknowledged,
        exit (0; 3 after --timeout, default 300 s, or when the watchdog stopped the scan).
  install-service [--state-dir DIR] [--unit-path FILE] [--user USER] [--server URL]...
        Write a hardened systemd unit (default /etc/systemd/system/rampart-agent.service); it does
        not enable or start it.
  status [--state-dir DIR]
        Print identity, outbox depth, dropped frames and the last acknowledged seq as JSON.

Signed rule packs: the collector may send packs; the agent installs only those signed by a key
in --trusted-keys (default <state-dir>/trusted-keys/*.pub, RAMPART_TRUSTED_KEYS). --allow-unsigned
also accepts unsigned ones and warns on every use: development only.
TLS (enroll and run): --ca FILE verifies an https collector with this CA (RAMPART_CA_FILE);
--client-cert FILE --client-key FILE for mutual TLS (RAMPART_CLIENT_CERT, RAMPART_CLIENT_KEY).

Scan watchdog: each scan runs in its own process (\`agent scan-worker\`, started by \`run\` only), stopped
when it passes --scan-memory-mb (resident memory, default 256; RAMPART_SCAN_MEMORY_MB),
--scan-cpu-seconds (user + system CPU, default 30; RAMPART_SCAN_CPU_SECONDS) or --scan-timeout (wall
seconds, default 300; RAMPART_SCAN_TIMEOUT_SECONDS). Rules still running when a scan is stopped are
skipped for 24 h and reported as ERR_WATCHDOG_DENYLISTED errors; the scan is retried after 5 s, 10 s, 20 s.

State dir default: /var/lib/rampart-agent as root, ./.rampart/agent otherwise (RAMPART_STATE_DIR).
Exit codes: 0 ok, 2 usage or configuration error, 3 runtime failure or --once timeout,
4 refused by the collector (revoked, unknown agent, bad key, protocol version): do not retry.
docs/agent.md lists every RAMPART_* variable.
`;

export interface AgentCommandIO {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const REFUSED = new Set(['ERR_AUTH_REVOKED', 'ERR_AUTH_UNKNOWN_AGENT', 'ERR_AUTH_SIGNATURE', 'ERR_PROTOCOL_VERSION', 'ERR_PROTOCOL_IDENTITY']);

export async function agentCommand(argv: string[], io: AgentCommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(AGENT_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    switch (sub) {
      case 'enroll':
        return await enrollCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      case 'install-service':
        return await installServiceCommand(rest, io);
      case 'status':
        return await statusCommand(rest, io);
      case 'scan-worker':
        return await (await import('../worker/boot.js')).bootScanWorker(() => import('../worker/scan-worker.js'));
      default:
        throw new AppError('ERR_USAGE', `unknown agent command "${sub}"; run \`rampart agent --help\``);
    }
  } catch (err) {
    if (isAppError(err) && REFUSED.has(err.code)) {
      process.stderr.write(`rampart: ${err.code}: the collector refused this agent: ${err.message}\n  what to do: ${err.fix}\n  (not retrying; exit ${AGENT_EXIT.refused})\n`);
      return AGENT_EXIT.refused;
    }
    throw err;
  }
}

const COMMON = {
  'state-dir': { type: 'string' },
  ca: { type: 'string' },
  'client-cert': { type: 'string' },
  'client-key': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function flagsOf(values: Record<string, unknown>): AgentFlags {
  const flags: AgentFlags = {};
  if (typeof values['state-dir'] === 'string') flags.stateDir = values['state-dir'];
  if (Array.isArray(values.server)) flags.server = values.server as string[];
  else if (typeof values.server === 'string') flags.server = [values.server];
  if (typeof values.schedule === 'string') flags.schedule = values.schedule;
  if (typeof values.jitter === 'string') flags.jitterSeconds = values.jitter;
  if (Array.isArray(values.pack)) flags.pack = values.pack as string[];
  if (typeof values.tailoring === 'string') flags.tailoring = values.tailoring;
  if (typeof values['log-level'] === 'string') flags.logLevel = values['log-level'];
  if (typeof values.timeout === 'string') flags.timeout = values.timeout;
  if (typeof values['trusted-keys'] === 'string') flags.trustedKeys = values['trusted-keys'];
  if (values['allow-unsigned'] === true) flags.allowUnsigned = true;
  if (typeof values.ca === 'string') flags.ca = values.ca;
  if (typeof values['client-cert'] === 'string') flags.clientCert = values['client-cert'];
  if (typeof values['client-key'] === 'string') flags.clientKey = values['client-key'];
  if (typeof values['scan-memory-mb'] === 'string') flags.scanMemoryMb = values['scan-memory-mb'];
  if (typeof values['scan-cpu-seconds'] === 'string') flags.scanCpuSeconds = values['scan-cpu-seconds'];
  if (typeof values['scan-timeout'] === 'string') flags.scanTimeoutSeconds = values['scan-timeout'];
  return flags;
}

/** Configuration, validated once (loaded lazily: a scan process, \`agent scan-worker\`, never needs it). */
async function loadConfig(flags: AgentFlags, env: NodeJS.ProcessEnv): Promise<AgentConfig> {
  return (await import('../daemon/config.js')).loadAgentConfig(flags, env);
}

async function enrollCommand(argv: string[], io: AgentCommandIO): Promise<number> {
  const { values } = parse(argv, { ...COMMON, server: { type: 'string' }, token: { type: 'string' }, agency: { type: 'string' }, force: { type: 'boolean', default: false } });
  if (values.help) {
    io.stdout.write(AGENT_HELP);
    return EXIT.ok;
  }
  const token = values.token ?? io.env.RAMPART_ENROLL_TOKEN;
  if (!token) throw new AppError('ERR_USAGE', 'agent enroll needs --token T (or RAMPART_ENROLL_TOKEN)');
  const config = await loadConfig(flagsOf(values), io.env);
  const serverUrl = config.serverUrls[0];
  if (!serverUrl) throw new AppError('ERR_USAGE', 'agent enroll needs --server URL (or RAMPART_SERVER)');
  const log = createLogger({ level: config.logLevel, name: 'rampart-agent' });
  const [{ enroll }, { readHostFacts }, { FixtureHost, liveHost }] = await Promise.all([
    import('../daemon/enroll.js'),
    import('../engine/facts.js'),
    import('../host/fs-host.js'),
  ]);
  const facts = await readHostFacts(config.fixtureRoot ? new FixtureHost(config.fixtureRoot) : liveHost()).catch(() => undefined);
  const identity = await enroll({
    paths: statePaths(config.stateDir),
    serverUrl,
    token,
    force: values.force,
    timeoutMs: config.connectTimeoutMs,
    tls: await (await import('../daemon/tls-client.js')).loadAgentTls(config),
    log: log.child({ module: 'enroll' }),
    ...(values.agency ? { agency: values.agency } : {}),
    ...(facts ? { facts } : {}),
  });
  io.stdout.write(`Enrolled as agent ${identity.agentId} of agency ${identity.agency}.\nState directory: ${config.stateDir}\nNext: rampart agent run --state-dir ${config.stateDir}\n`);
  return EXIT.ok;
}

async function runCommand(argv: string[], io: AgentCommandIO): Promise<number> {
  const { values } = parse(argv, {
    ...COMMON,
    server: { type: 'string', multiple: true },
    once: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    schedule: { type: 'string' },
    jitter: { type: 'string' },
    pack: { type: 'string', multiple: true },
    tailoring: { type: 'string' },
    'trusted-keys': { type: 'string' },
    'allow-unsigned': { type: 'boolean', default: false },
    'scan-memory-mb': { type: 'string' },
    'scan-cpu-seconds': { type: 'string' },
    'scan-timeout': { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(AGENT_HELP);
    return EXIT.ok;
  }
  const config = await loadConfig(flagsOf(values), io.env);
  const log = createLogger({ level: config.logLevel, name: 'rampart-agent' });
  // The daemon only moves frames between scans: interpreter only, before its modules load.
  leanCompiler();
  const { runAgent } = await import('../daemon/daemon.js');
  let onSignal: (s: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    onSignal = (s) => resolve(s);
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runAgent(config, { once: values.once, stopSignal }, log);
  } catch (err) {
    if (isAppError(err) && !REFUSED.has(err.code)) {
      log.error({ code: err.code, message: err.message }, 'Agent stopped');
      return reportError(err);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The daemon closed its sockets and timers; if a library still holds the loop open, do not hang.
    setTimeout(() => process.exit(), 3000).unref();
  }
}

async function installServiceCommand(argv: string[], io: AgentCommandIO): Promise<number> {
  const { values } = parse(argv, {
    ...COMMON,
    'unit-path': { type: 'string', default: '/etc/systemd/system/rampart-agent.service' },
    user: { type: 'string', default: 'root' },
    server: { type: 'string', multiple: true },
  });
  if (values.help) {
    io.stdout.write(AGENT_HELP);
    return EXIT.ok;
  }
  const config = await loadConfig(flagsOf(values), io.env);
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(values.user)) throw new AppError('ERR_USAGE', `--user must be a system user name; got "${values.user}"`);
  const { renderUnit } = await import('../daemon/systemd-unit.js');
  const entryPath = path.resolve(process.argv[1] ?? fileURLToPath(import.meta.url));
  const extraArgs = values.server?.flatMap((s) => ['--server', s]) ?? [];
  let unit: string;
  try {
    // A single executable (rampart-agent SEA) sees itself as argv[1] too: it is the whole command.
    const sea = entryPath === process.execPath;
    unit = renderUnit({ nodePath: process.execPath, ...(sea ? {} : { entryPath }), stateDir: config.stateDir, user: values.user, extraArgs });
  } catch (err) {
    throw new AppError('ERR_USAGE', (err as Error).message);
  }
  const unitPath = path.resolve(values['unit-path']);
  const { writeFileAtomic } = await import('../daemon/atomic-file.js');
  try {
    await fs.mkdir(path.dirname(unitPath), { recursive: true });
    await writeFileAtomic(unitPath, unit, { mode: 0o644 });
  } catch (err) {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot write ${unitPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const name = path.basename(unitPath);
  const chown = values.user === 'root' ? '' : `  install -d -m 0700 -o ${values.user} ${config.stateDir}\n`;
  io.stdout.write(
    `Wrote ${unitPath} (not enabled, not started).\nTo start the agent now and at boot:\n${chown}  systemctl daemon-reload\n  systemctl enable --now ${name}\n  journalctl -u ${name} -f\n` +
      `Enroll first if you have not: rampart agent enroll --state-dir ${config.stateDir} --server URL --token T\n`,
  );
  return EXIT.ok;
}

async function statusCommand(argv: string[], io: AgentCommandIO): Promise<number> {
  const { values } = parse(argv, COMMON);
  if (values.help) {
    io.stdout.write(AGENT_HELP);
    return EXIT.ok;
  }
  const config = await loadConfig(flagsOf(values), io.env);
  const paths = statePaths(config.stateDir);
  const { readIdentity } = await import('../daemon/identity.js');
  const { readFileIfExists } = await import('../daemon/atomic-file.js');
  const identity = await readIdentity(paths);
  const frames = (await fs.readdir(paths.outbox).catch(() => [] as string[])).filter((n) => /^\d+\.frame$/.test(n));
  const drops = JSON.parse((await readFileIfExists(path.join(paths.outbox, 'drops.json'))) ?? '{"dropped":0}') as { dropped: number };
  const acked = JSON.parse((await readFileIfExists(paths.ackedState)) ?? '{"ackedSeq":0,"rules":{}}') as { ackedSeq: number; rules: Record<string, unknown> };
  const status = {
    stateDir: paths.root,
    enrolled: identity !== undefined,
    ...(identity ? { agentId: identity.agentId, agency: identity.agency, serverUrl: identity.serverUrl } : {}),
    outboxDepth: frames.length,
    dropped: drops.dropped,
    ackedSeq: acked.ackedSeq,
    ackedRules: Object.keys(acked.rules).length,
    /** Signed packs received from the collector (verified again when the agent starts). */
    installedPacks: await new (await import('../rules/pack-bundle.js')).InstalledPacks(path.join(paths.root, 'packs')).headers(),
  };
  io.stdout.write(JSON.stringify(status, null, 2) + '\n');
  return EXIT.ok;
}
