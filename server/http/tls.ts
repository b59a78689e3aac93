/**
 * @module The collector's TLS: https and wss from a PEM certificate and key, optional mutual TLS for
 * agents (client certificates verified against --client-ca, required on enroll, challenge and the
 * agent WebSocket; the dashboard and API keep bearer tokens), and certificate rotation: reload()
 * reads the files again and swaps the secure context (SIGHUP), so new connections get the new
 * certificate while open ones are never dropped.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createSecureContext, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { AGENT_WS_PATH, CHALLENGE_PATH, ENROLL_PATH } from '../../shared/protocol.js';
import type { ServerConfig } from '../config.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new AppError('ERR_TLS_CONFIG', `cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Whether the config asks for TLS; a certificate without a key (or the reverse) is a config error. */
export function tlsEnabled(config: ServerConfig): boolean {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new AppError('ERR_CONFIG_INVALID', 'give both --tls-cert and --tls-key (RAMPART_TLS_CERT, RAMPART_TLS_KEY), or neither');
  }
  if (config.clientCa !== undefined && config.tlsCert === undefined) throw new AppError('ERR_CONFIG_INVALID', '--client-ca needs --tls-cert and --tls-key');
  return config.tlsCert !== undefined;
}

/** Read and check the files (the key must match the certificate). */
export function readTlsFiles(config: ServerConfig): TlsFiles {
  const files: TlsFiles = { cert: read(config.tlsCert!, 'certificate'), key: read(config.tlsKey!, 'key') };
  if (config.clientCa) files.ca = read(config.clientCa, 'client CA');
  try {
    createSecureContext({ cert: files.cert, key: files.key, ...(files.ca ? { ca: files.ca } : {}) });
  } catch (err) {
    throw new AppError('ERR_TLS_CONFIG', `the TLS certificate, key or client CA is not valid: ${(err as Error).message}`);
  }
  return files;
}

/** Options for fastify's `https`: client certificates are asked for but checked per route. */
export function httpsOptions(files: TlsFiles): Record<string, unknown> {
  return {
    cert: files.cert,
    key: files.key,
    minVersion: 'TLSv1.2',
    ...(files.ca ? { ca: files.ca, requestCert: true, rejectUnauthorized: false } : {}),
  };
}

/** Swap in freshly read certificate and key; open connections keep theirs. Throws ERR_TLS_CONFIG and keeps the old ones. */
export function reloadTls(server: TlsServer, config: ServerConfig): TlsFiles {
  const files = readTlsFiles(config);
  server.setSecureContext({ cert: files.cert, key: files.key, ...(files.ca ? { ca: files.ca } : {}) } as Parameters<TlsServer['setSecureContext']>[0]);
  return files;
}

const AGENT_PATHS = [ENROLL_PATH, CHALLENGE_PATH, AGENT_WS_PATH];

export function isAgentPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return AGENT_PATHS.includes(path ?? '');
}

/** Null when the request may go on; else why not (mutual TLS on and no trusted client certificate). */
export function clientCertProblem(req: IncomingMessage, config: ServerConfig): AppError | null {
  if (!config.clientCa) return null;
  const socket = req.socket as TLSSocket;
  if (socket.authorized === true) return null;
  const why = typeof socket.authorizationError === 'string' || socket.authorizationError instanceof Error ? String(socket.authorizationError) : 'no client certificate';
  return new AppError('ERR_AUTH_CLIENT_CERT', `agent endpoints require a client certificate issued by the configured CA (${why})`);
}

/** Enforce client certificates on enroll and challenge (the WebSocket upgrade checks in the gateway). */
export function requireAgentClientCerts(app: FastifyInstance, config: ServerConfig): void {
  if (!config.clientCa) return;
  app.addHook('onRequest', async (req) => {
    if (!isAgentPath(req.url)) return;
    const problem = clientCertProblem(req.raw, config);
    if (problem) throw problem;
  });
}
