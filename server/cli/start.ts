/**
 * @module `rampart server start`: run the collector until SIGINT/SIGTERM, then stop cleanly
 * (commit what is queued, close sockets with 1001, close the database).
 */
import { parse, EXIT } from '../../agent/cli/args.js';
import { createLogger } from '../../shared/log.js';
import { startCollector } from '../main.js';
import { applyHeapGrowth } from '../heap-growth.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, type ServerCommandIO } from './cli-io.js';

export const START_HELP = `Usage: rampart server start [options]

Run the collector: agent WebSocket, enrollment, and the HTTP API under /api/v1.

Options:
  --port N              Port to listen on (default 8420, RAMPART_PORT; 0 picks a free one).
  --host H              Address to bind (default 127.0.0.1, RAMPART_HOST).
${DATA_DIR_HELP}
  --log-level LEVEL     fatal|error|warn|info|debug|trace|silent (default info, RAMPART_LOG_LEVEL).
  --tls-cert FILE       PEM certificate chain: serve https and wss (RAMPART_TLS_CERT; needs --tls-key).
  --tls-key FILE        PEM private key of the certificate (RAMPART_TLS_KEY).
  --client-ca FILE      Mutual TLS for agents: enroll, challenge and the agent WebSocket require a
                        client certificate issued by this CA (RAMPART_CLIENT_CA).
                        SIGHUP re-reads the certificate, key and CA (rotation without dropping connections).
  -h, --help            Show this help.

Every other setting is a RAMPART_* variable (docs/api.md, "Configuration").
`;

export async function startCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values } = parse(argv, {
    ...HELP_OPTION,
    ...DATA_DIR_OPTION,
    port: { type: 'string' },
    host: { type: 'string' },
    'log-level': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'client-ca': { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(START_HELP);
    return EXIT.ok;
  }
  const config = configFor(values, io.env, { port: values.port, host: values.host, logLevel: values['log-level'], tlsCert: values['tls-cert'], tlsKey: values['tls-key'], clientCa: values['client-ca'] });
  const log = createLogger({ level: config.logLevel, name: 'rampart-server' });
  // Process-wide, so here and not in startCollector (server/heap-growth.ts says why).
  applyHeapGrowth(config.heapGrowthPercent);
  const collector = await startCollector(config, { log });
  io.stdout.write(`rampart collector listening on ${collector.url} (data: ${config.dataDir})\n`);
  // Certificate rotation: replace the files, then `kill -HUP <pid>`; open connections are kept.
  const onHup = () => {
    try {
      collector.reloadTls();
    } catch (err) {
      log.error({ code: (err as { code?: string }).code, message: (err as Error).message }, 'TLS reload failed; still serving the previous certificate');
    }
  };
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('SIGHUP', onHup);
  await collector.close();
  return EXIT.ok;
}
