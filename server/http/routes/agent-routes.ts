/**
 * @module Agent-facing HTTP routes (no bearer token): POST /api/v1/enroll exchanges a one-time
 * token for an identity; GET /api/v1/agent/challenge issues a single-use nonce to sign.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import {
  CHALLENGE_PATH,
  ENROLL_PATH,
  EnrollRequestSchema,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  AgentIdSchema,
  type ChallengeResponse,
  type EnrollResponse,
} from '../../../shared/protocol.js';
import type { Logger } from '../../../shared/log.js';
import type { ServerConfig } from '../../config.js';
import { parsePublicKey } from '../../gateway/upgrade-auth.js';
import type { Store } from '../../store/store.js';
import { generateNonce, hashToken } from '../../tokens.js';
import { parseWith } from '../request-parsing.js';

export function agentRoutes(app: FastifyInstance, store: Store, config: ServerConfig, log: Logger): void {
  app.post(ENROLL_PATH, async (req): Promise<EnrollResponse> => {
    const body = parseWith(EnrollRequestSchema, req.body, 'enrollment request');
    if (body.protocolVersion !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(body.protocolVersion)) {
      throw new AppError('ERR_PROTOCOL_VERSION', `protocol version ${body.protocolVersion} is not supported; this collector speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`);
    }
    parsePublicKey(body.publicKey);
    const agent = await store.enrollAgent({
      tokenHash: hashToken(body.token),
      publicKey: body.publicKey,
      hostname: body.hostname,
      machineId: body.machineId,
      os: typeof body.os === 'string' ? body.os : body.os?.prettyName ?? body.os?.id,
      agentVersion: body.agentVersion,
      agency: body.agency,
      now: new Date().toISOString(),
    });
    log.info({ agentId: agent.id, agency: agent.agencyName, hostname: agent.hostname }, 'agent enrolled');
    return { agentId: agent.id, agency: agent.agencyName, protocolVersion: PROTOCOL_VERSION };
  });

  app.get(CHALLENGE_PATH, async (req): Promise<ChallengeResponse> => {
    const { agentId } = parseWith(z.object({ agentId: AgentIdSchema }), req.query, 'challenge query');
    const agent = await store.getAgent(agentId);
    if (!agent) throw new AppError('ERR_AUTH_UNKNOWN_AGENT', `agent ${agentId} is not enrolled`);
    if (agent.revokedAt !== null) throw new AppError('ERR_AUTH_REVOKED', `agent ${agentId} was revoked at ${agent.revokedAt}`);
    const nonce = generateNonce();
    const expiresAt = new Date(Date.now() + config.challengeSeconds * 1000).toISOString();
    await store.createChallenge(agentId, nonce, expiresAt);
    return { nonce, expiresAt };
  });
}
