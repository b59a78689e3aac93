/**
 * @module `rampart agent enroll`: make an Ed25519 key pair, exchange a one-time token for an
 * agent identity (POST /api/v1/enroll), and store key (0600) and identity in the state dir.
 * The new key is written (0600) to a pending file before the request, moved into place after
 * the collector accepted it, and identity.json is written last: it marks the state dir as
 * enrolled, so a crash part-way leaves either the old identity intact or "not enrolled".
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { ENROLL_PATH, EnrollResponseSchema, PROTOCOL_VERSION, type EnrollRequest } from '../../shared/protocol.js';
import { VERSION } from '../../shared/version.js';
import type { HostFacts } from '../../shared/result.js';
import { requestJson } from './http-client.js';
import type { AgentTls } from './tls-client.js';
import { generateKeyPair, readIdentity, writeIdentity, writePrivateKey, type Identity } from './identity.js';
import { ensureStateDir, lockStateDir, type StatePaths } from './state-dir.js';

export interface EnrollOptions {
  paths: StatePaths;
  serverUrl: string;
  token: string;
  /** The agency the operator expects; the collector refuses a token of another agency. */
  agency?: string;
  /** Replace an existing identity. */
  force?: boolean;
  facts?: Pick<HostFacts, 'hostname' | 'machineId' | 'os'>;
  timeoutMs: number;
  log: Logger;
  /** CA / client certificate for an https collector. */
  tls?: AgentTls | undefined;
}

export async function enroll(options: EnrollOptions): Promise<Identity> {
  const { paths, log } = options;
  await ensureStateDir(paths);
  const lock = await lockStateDir(paths);
  try {
    const existing = await readIdentity(paths).catch(() => undefined);
    if (existing && !options.force) {
      throw new AppError('ERR_AGENT_ALREADY_ENROLLED', `${paths.root} is already enrolled as agent ${existing.agentId} of ${existing.agency}`);
    }
    const keys = generateKeyPair();
    const pendingKey = `${paths.privateKey}.pending`;
    await writePrivateKey(pendingKey, keys.privateKey);
    const body: EnrollRequest = {
      token: options.token,
      publicKey: keys.publicKeyB64,
      hostname: options.facts?.hostname ?? os.hostname(),
      agentVersion: VERSION,
      protocolVersion: PROTOCOL_VERSION,
    };
    if (options.facts?.machineId) body.machineId = options.facts.machineId;
    if (options.facts?.os) body.os = options.facts.os;
    if (options.agency) body.agency = options.agency;
    log.info({ server: options.serverUrl, hostname: body.hostname }, 'Enrolling with the collector');
    const answer = await requestJson('POST', `${options.serverUrl}${ENROLL_PATH}`, EnrollResponseSchema, {
      body,
      timeoutMs: options.timeoutMs,
      tls: options.tls,
      what: 'enroll',
    }).catch(async (err: unknown) => {
      await fs.rm(pendingKey, { force: true });
      throw err;
    });
    if (existing && existing.agentId !== answer.agentId) {
      // The old state belongs to the old identity: its outbox and acknowledged state must not be replayed under the new one.
      await fs.rm(paths.outbox, { recursive: true, force: true });
      await fs.rm(paths.ackedState, { force: true });
      await ensureStateDir(paths);
    }
    await fs.rename(pendingKey, paths.privateKey);
    const identity: Identity = {
      agentId: answer.agentId,
      agency: answer.agency,
      serverUrl: options.serverUrl,
      enrolledAt: new Date().toISOString(),
      publicKey: keys.publicKeyB64,
    };
    await writeIdentity(paths, identity);
    log.info({ agentId: identity.agentId, agency: identity.agency }, 'Enrolled');
    return identity;
  } finally {
    await lock.release();
  }
}
