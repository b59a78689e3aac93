/**
 * @module `rampart demo` (what `npm start` runs): a collector on the embedded SQLite default in
 * ./.rampart/demo/server, a demo agency, an admin API token, and an agent for THIS host enrolled
 * with its own state dir (./.rampart/demo/agent) running in the same process. Prints where to
 * look once the first scan is stored, then runs until Ctrl-C. Running it again reuses the same
 * data, token and identity.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EXIT, parse } from '../../agent/cli/args.js';
import { loadAgentConfig } from '../../agent/daemon/config.js';
import { readFileIfExists, writeFileAtomic } from '../../agent/daemon/atomic-file.js';
import { statePaths } from '../../agent/daemon/state-dir.js';
import { AppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { loadServerConfig } from '../config.js';
import { startCollector, type Collector } from '../main.js';
import type { Store } from '../store/store.js';
import { API_TOKEN_PREFIX, ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../tokens.js';
import type { ServerCommandIO } from './cli-io.js';

export const DEMO_HELP = `Usage: rampart demo [--dir DIR] [--port N] [--log-level LEVEL]

Start a collector (SQLite in DIR/server), create the agency "demo", an admin API token and an
agent for this host (state in DIR/agent), run its first scan, print where to look, and keep
running until Ctrl-C. Run again to continue with the same data.

Options:
  --dir DIR             Demo directory (default ./.rampart/demo).
  --port N              Collector port (default 8420; a free port is used when 8420 is taken).
  --log-level LEVEL     Log level of collector and agent (default warn).
  -h, --help            Show this help.
`;

const AGENCY = 'demo';
const ADMIN_USER = 'demo-admin';

async function adminToken(store: Store, file: string): Promise<string> {
  const saved = (await readFileIfExists(file))?.trim();
  if (saved && (await store.findUserByTokenHash(hashToken(saved)))) return saved;
  const token = generateToken(API_TOKEN_PREFIX);
  await store.createUser({ name: `${ADMIN_USER}-${Date.now().toString(36)}`, role: 'admin', tokenHash: hashToken(token), now: new Date().toISOString() });
  await writeFileAtomic(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function listen(dataDir: string, port: number, logLevel: string, log: ReturnType<typeof createLogger>): Promise<Collector> {
  const config = loadServerConfig({ dataDir, port, host: '127.0.0.1', logLevel }, process.env);
  try {
    return await startCollector(config, { log });
  } catch (err) {
    if (port === 0 || !(err instanceof AppError) || err.code !== 'ERR_SERVER_LISTEN') throw err;
    log.warn({ port }, 'Port taken; using a free one');
    return startCollector(loadServerConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel }, process.env), { log });
  }
}

export async function demoCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values } = parse(argv, { dir: { type: 'string' }, port: { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } });
  if (values.help) {
    io.stdout.write(DEMO_HELP);
    return EXIT.ok;
  }
  const dir = path.resolve(values.dir ?? path.join('.rampart', 'demo'));
  const logLevel = values['log-level'] ?? 'warn';
  const port = values.port === undefined ? 8420 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('ERR_USAGE', `--port must be 0..65535, not "${values.port}"`);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const log = createLogger({ level: logLevel, name: 'rampart-demo' });

  const collector = await listen(path.join(dir, 'server'), port, logLevel, log);
  const { store } = collector;
  let stopAgent: (reason: string) => void = () => undefined;
  const agentStopped = new Promise<string>((resolve) => (stopAgent = resolve));
  let agentRun: Promise<number> | undefined;
  const onSignal = (s: NodeJS.Signals) => stopAgent(s);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!(await store.findAgency(AGENCY))) await store.createAgency(AGENCY);
    const token = await adminToken(store, path.join(dir, 'admin-token'));

    const agentConfig = loadAgentConfig({ stateDir: path.join(dir, 'agent'), server: [collector.url], logLevel }, io.env);
    const paths = statePaths(agentConfig.stateDir);
    const { readIdentity } = await import('../../agent/daemon/identity.js');
    const { enroll } = await import('../../agent/daemon/enroll.js');
    let identity = await readIdentity(paths).catch(() => undefined);
    if (!identity || !(await store.getAgent(identity.agentId)) || (await store.getAgent(identity.agentId))?.revokedAt) {
      const enrollToken = generateToken(ENROLL_TOKEN_PREFIX);
      await store.createEnrollToken({ agencyName: AGENCY, tokenHash: hashToken(enrollToken), expiresAt: new Date(Date.now() + 600_000).toISOString(), uses: 1, now: new Date().toISOString() });
      identity = await enroll({ paths, serverUrl: collector.url, token: enrollToken, agency: AGENCY, force: true, timeoutMs: agentConfig.connectTimeoutMs, log: log.child({ module: 'enroll' }) });
    }
    const agentId = identity.agentId;
    const { runAgent } = await import('../../agent/daemon/daemon.js');
    io.stdout.write(`Collector on ${collector.url} (data: ${path.join(dir, 'server')}); scanning this host as agent ${agentId}...\n`);
    const started = Date.now();
    agentRun = runAgent(agentConfig, { once: false, stopSignal: agentStopped }, log);

    // Wait until the first scan of this run is stored (or the agent stops).
    const stored = await Promise.race([
      (async () => {
        for (;;) {
          const agent = await store.getAgent(agentId);
          if (agent?.lastScanAt && Date.parse(agent.lastScanAt) >= started - 1000) return agent;
          await new Promise((r) => setTimeout(r, 200));
        }
      })(),
      agentRun.then(() => undefined),
    ]);
    if (!stored) throw new AppError('ERR_AGENT_ACK_TIMEOUT', 'the demo agent stopped before its first scan was stored');
    const detail = await store.hostDetail(agentId);
    const c = detail.host.counts;
    const base = collector.url;
    const bin = path.relative(process.cwd(), process.argv[1] ?? 'dist/rampart.js') || 'dist/rampart.js';
    io.stdout.write(
      [
        '',
        'Rampart demo is running.',
        `  Dashboard     ${base}/   (sign in with the admin token)`,
        `  API           ${base}/api/v1/agencies`,
        `  Admin token   ${token}   (saved in ${path.join(dir, 'admin-token')})`,
        `  Agency        ${AGENCY}: 1 host, ${detail.host.hostname}`,
        `  First scan    ${c.pass} pass, ${c.fail} fail, ${c.error} error, ${c.notApplicable} not applicable; delivery ${detail.host.delivery.complete ? 'complete' : 'INCOMPLETE'} (seq ${detail.host.delivery.maxSeq})`,
        '',
        'Look around:',
        `  export RAMPART_TOKEN=${token}`,
        `  curl -s -H "Authorization: Bearer $RAMPART_TOKEN" ${base}/api/v1/agencies/${AGENCY}/posture`,
        `  curl -s -H "Authorization: Bearer $RAMPART_TOKEN" ${base}/api/v1/agencies/${AGENCY}/hosts`,
        `  curl -s -H "Authorization: Bearer $RAMPART_TOKEN" ${base}/api/v1/hosts/${agentId}/results`,
        `  curl -s -H "Authorization: Bearer $RAMPART_TOKEN" ${base}/api/v1/agencies/${AGENCY}/findings`,
        `  node ${bin} agent status --state-dir ${paths.root}`,
        `  node ${bin} server agent list --data-dir ${path.join(dir, 'server')}`,
        `  node ${bin} report --agency ${AGENCY} --format html --data-dir ${path.join(dir, 'server')} --output demo-report.html`,
        '',
        'The agent rescans hourly. Ctrl-C stops the collector and the agent.',
        '',
      ].join('\n'),
    );
    const code = await agentRun;
    return code;
  } finally {
    stopAgent('shutdown');
    await agentRun?.catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await collector.close();
    setTimeout(() => process.exit(), 3000).unref();
  }
}
