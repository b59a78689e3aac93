/**
 * @module The fastify application: health, agent enrollment/challenge, the bearer API, and one
 * error shape. The agent WebSocket is attached to the same HTTP server by the gateway.
 */
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { ServerConfig } from '../config.js';
import type { Store } from '../store/store.js';
import { makeErrorHandler } from './reply-error.js';
import { agentRoutes } from './routes/agent-routes.js';
import { apiRoutes, type Liveness } from './routes/api-routes.js';
import { evidenceRoutes } from './routes/evidence-routes.js';
import { dashboardRoutes } from './routes/dashboard-routes.js';
import { staticRoutes } from './routes/static-routes.js';
import type { LiveHub } from '../live/live-hub.js';
import { httpsOptions, readTlsFiles, requireAgentClientCerts, tlsEnabled } from './tls.js';

export function buildHttpApp(store: Store, config: ServerConfig, log: Logger, live: Liveness, hub?: LiveHub): FastifyInstance {
  // TLS (server/http/tls.ts): https + wss when a certificate and key are configured.
  const tls = tlsEnabled(config) ? readTlsFiles(config) : undefined;
  const app = fastify({
    loggerInstance: log.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    ...(tls ? { https: httpsOptions(tls) } : {}),
  }) as unknown as FastifyInstance;
  requireAgentClientCerts(app, config);
  app.setErrorHandler(makeErrorHandler(log));
  app.setNotFoundHandler((req) => {
    throw new AppError('ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
  });
  // No auth, no I/O: answers even while ingest is saturated (the event loop is never held long).
  app.get('/healthz', async () => ({ ok: true }));
  agentRoutes(app, store, config, log);
  apiRoutes(app, store, config, live);
  evidenceRoutes(app, store);
  // The dashboard: static page (no auth) and its API routes and live tickets (bearer).
  staticRoutes(app, config);
  if (hub) dashboardRoutes(app, store, config, hub);
  return app;
}
