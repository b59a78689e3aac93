/**
 * @module Authenticate an agent on the HTTP upgrade request, before any WebSocket exists:
 * protocol version, enrolled agent, not revoked, a fresh single-use nonce issued for this agent,
 * and an Ed25519 signature over "rampart-agent-auth/v1\n<agentId>\n<nonce>".
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { AppError } from '../../shared/errors.js';
import { HEADERS, SUPPORTED_PROTOCOL_VERSIONS, authMessage, AgentIdSchema, NonceSchema } from '../../shared/protocol.js';
import type { Store } from '../store/store.js';
import type { AgentIdentity } from './agent-connection.js';

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parse an Ed25519 public key given as base64 SPKI DER; throws ERR_ENROLL_PUBLIC_KEY. */
export function parsePublicKey(b64: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new AppError('ERR_ENROLL_PUBLIC_KEY', 'the public key is not SPKI DER in base64');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new AppError('ERR_ENROLL_PUBLIC_KEY', `the public key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  return key;
}

export async function authenticateUpgrade(req: IncomingMessage, store: Store): Promise<AgentIdentity> {
  const version = header(req, HEADERS.protocol);
  if (version === undefined || !SUPPORTED_PROTOCOL_VERSIONS.includes(Number(version)) || !/^\d+$/.test(version)) {
    throw new AppError('ERR_PROTOCOL_VERSION', `protocol version ${JSON.stringify(version ?? null)} is not supported; this collector speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`);
  }
  const agentId = header(req, HEADERS.agent);
  const nonce = header(req, HEADERS.nonce);
  const signature = header(req, HEADERS.signature);
  if (!agentId || !nonce || !signature) throw new AppError('ERR_AUTH_MISSING', 'X-Rampart-Agent, X-Rampart-Nonce and X-Rampart-Signature are required');
  if (!AgentIdSchema.safeParse(agentId).success) throw new AppError('ERR_AUTH_UNKNOWN_AGENT', 'the agent id is not a uuid');
  const agent = await store.getAgent(agentId);
  if (!agent) throw new AppError('ERR_AUTH_UNKNOWN_AGENT', `agent ${agentId} is not enrolled`);
  if (agent.revokedAt !== null) throw new AppError('ERR_AUTH_REVOKED', `agent ${agentId} was revoked at ${agent.revokedAt}`);
  if (!NonceSchema.safeParse(nonce).success || !(await store.consumeChallenge(agentId, nonce, new Date().toISOString()))) {
    throw new AppError('ERR_AUTH_CHALLENGE', 'the nonce was not issued for this agent, has expired, or was already used');
  }
  let ok = false;
  try {
    ok = verify(null, Buffer.from(authMessage(agentId, nonce), 'utf8'), parsePublicKey(agent.publicKey), Buffer.from(signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new AppError('ERR_AUTH_SIGNATURE', 'the signature does not verify with the enrolled key');
  return { agentId, agencyId: agent.agencyId, agencyName: agent.agencyName, hostname: agent.hostname };
}

/** Answer a refused upgrade with a plain HTTP response and JSON error body, then drop the socket. */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
