/**
 * @module Entry of a collector child process for agent tests that kill -9 the collector:
 * bundled with esbuild by collector-process.ts, started with the data dir and port in argv.
 * Other settings come from RAMPART_* variables. Prints one line `READY <url>` on stdout once listening.
 */
import { loadServerConfig } from '../../../server/config.js';
import { startCollector } from '../../../server/main.js';

const [dataDir, port, logLevel] = process.argv.slice(2);
const config = loadServerConfig({ dataDir, port: Number(port), host: '127.0.0.1', logLevel: logLevel ?? 'warn', revocationPollMs: 100 }, process.env);
const collector = await startCollector(config);
process.stdout.write(`READY ${collector.url}\n`);
const stop = () => void collector.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
