/**
 * @module Wires the collector: config → logger → store → ingest pipeline → gateway → HTTP.
 * startCollector() is what `rampart server start`, tests and benchmarks call.
 */
import { AppError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { ServerConfig } from './config.js';
import { AgentGateway } from './gateway/agent-gateway.js';
import { buildHttpApp } from './http/http-app.js';
import { IngestPipeline } from './ingest/ingest-pipeline.js';
import { isPostgresUrl, openStore } from './store/open-store.js';
import { CollectorMetrics, METRICS_CONTENT_TYPE, METRICS_PATH, timedStore } from './metrics.js';
import { LiveHub, LIVE_PATH } from './live/live-hub.js';
import { publishStored } from './live/live-feed.js';
import { PostureSnapshots } from './live/posture-snapshots.js';
import { PresenceSweep } from './live/presence-sweep.js';
import { PackPush } from './gateway/pack-push.js';
import { reloadTls } from './http/tls.js';
import type { Server as TlsServer } from 'node:tls';
import type { Store } from './store/store.js';

export interface Collector {
  /** http://host:port */
  url: string;
  port: number;
  store: Store;
  gateway: AgentGateway;
  pipeline: IngestPipeline;
  /** Dashboard live updates (bus + browser sockets). */
  live: LiveHub;
  log: Logger;
  /** Stop accepting, commit what is queued, close sockets and the database. */
  close(): Promise<void>;
  /** Re-read the TLS certificate and key (SIGHUP): new connections get them, open ones stay. Throws ERR_TLS_CONFIG and keeps the old ones. */
  reloadTls(): void;
}

export async function startCollector(config: ServerConfig, options: { log?: Logger; store?: Store } = {}): Promise<Collector> {
  const log = (options.log ?? createLogger({ level: config.logLevel, name: 'rampart-server' })).child({ module: 'collector' });
  const metrics = new CollectorMetrics();
  const store = timedStore(options.store ?? (await openStore(config, { collector: true })), metrics);
  const pipeline = new IngestPipeline(store, { ...config, concurrency: store.kind === 'postgres' ? config.ingestConcurrency : 1 }, log.child({ module: 'ingest' }));
  const gateway = new AgentGateway(store, pipeline, config, log.child({ module: 'gateway' }));
  // Live dashboard: events after commit and on agent presence; its socket shares the upgrade dispatch.
  const live = new LiveHub(store, log.child({ module: 'live' }));
  pipeline.onStored = (identity, item, outcome) => publishStored(live.bus, identity, item, outcome);
  const presence = new PresenceSweep(store, live.bus, config, (id) => gateway.isConnected(id), log.child({ module: 'presence' }));
  // Online at connect; offline when the last-seen time crosses the online limit (the sweep).
  gateway.onPresence = (identity, online) => {
    if (online) presence.connected(identity);
  };
  gateway.upgradeRoutes.set(LIVE_PATH, (req, socket, head) => live.handleUpgrade(req, socket, head));
  const snapshots = new PostureSnapshots(store, log.child({ module: 'trend' }));
  const app = buildHttpApp(store, config, log, gateway, live);
  // Prometheus metrics (docs/api.md "Metrics"): this collector's own registry.
  app.get(METRICS_PATH, async (_req, reply) => reply.type(METRICS_CONTENT_TYPE).send(await metrics.render()));
  gateway.attach(app.server);
  await live.start();
  // Several replicas on one PostgreSQL: live events cross replicas by LISTEN/NOTIFY (docs/architecture.md).
  const fanout = isPostgresUrl(config.databaseUrl)
    ? new (await import('./live/pg-fanout.js')).PgLiveFanout(
        { url: config.databaseUrl, ...(config.databaseSchema ? { schema: config.databaseSchema } : {}) },
        live.bus,
        log.child({ module: 'fanout' }),
      )
    : null;
  await fanout?.start();
  metrics.attach({ gateway, pipeline, live, ...(fanout ? { fanout } : {}) });
  snapshots.start();
  presence.start();
  // Signed rule packs published by `rampart server pack publish` reach connected agents within a poll.
  const packPush = new PackPush(store, () => gateway.liveConnections(), config.revocationPollMs, log.child({ module: 'packs' }));
  await packPush.start();
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await store.close();
    throw new AppError('ERR_SERVER_LISTEN', `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, { cause: err });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  log.info({ port, host: config.host, dataDir: config.dataDir }, 'collector listening');
  let closing: Promise<void> | null = null;
  return {
    url: `${config.tlsCert ? 'https' : 'http'}://${hostForUrl}:${port}`,
    port,
    store,
    gateway,
    pipeline,
    live,
    log,
    reloadTls() {
      if (!config.tlsCert) return;
      reloadTls(app.server as unknown as TlsServer, config);
      log.info({ cert: config.tlsCert }, 'TLS certificate and key reloaded');
    },
    close() {
      closing ??= (async () => {
        snapshots.stop();
        presence.stop();
        packPush.stop();
        await fanout?.close();
        await live.close();
        await gateway.close();
        await pipeline.close();
        await app.close();
        await store.close();
        log.info('collector stopped');
      })();
      return closing;
    },
  };
}
