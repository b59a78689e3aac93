/**
 * @module The agent's identity: an Ed25519 key pair made with node:crypto (the collector keeps
 * only the public key) and identity.json ({agentId, agency, serverUrl}). The private key file
 * must be mode 0600 or stricter; a looser file is refused (ERR_AGENT_KEY_PERMISSIONS), as ssh does.
 */
import { promises as fs } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { authMessage } from '../../shared/protocol.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import type { StatePaths } from './state-dir.js';

export const IdentitySchema = z.strictObject({
  agentId: z.string().min(1),
  agency: z.string().min(1),
  serverUrl: z.string().url(),
  enrolledAt: z.iso.datetime(),
  /** Ed25519 SPKI DER, base64: what the collector stored. */
  publicKey: z.string().min(1),
});
export type Identity = z.infer<typeof IdentitySchema>;

export interface KeyPair {
  privateKey: KeyObject;
  /** SPKI DER, base64 (the form POST /api/v1/enroll takes). */
  publicKeyB64: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

/** Write a private key as PKCS#8 PEM, mode 0600, atomically. */
export async function writePrivateKey(file: string, key: KeyObject): Promise<void> {
  const pem = key.export({ type: 'pkcs8', format: 'pem' });
  await writeFileAtomic(file, pem, { mode: 0o600 });
}

/** Load the private key, refusing a file that group or others may read or write. */
export async function loadPrivateKey(paths: StatePaths): Promise<KeyPair> {
  let st;
  try {
    st = await fs.stat(paths.privateKey);
  } catch {
    throw new AppError('ERR_AGENT_NOT_ENROLLED', `no private key at ${paths.privateKey}`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new AppError('ERR_AGENT_KEY_PERMISSIONS', `${paths.privateKey} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must be 0600 or stricter`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && st.uid !== uid) {
    throw new AppError('ERR_AGENT_KEY_PERMISSIONS', `${paths.privateKey} is owned by uid ${st.uid}, not by the agent (uid ${uid})`);
  }
  try {
    const privateKey = createPrivateKey(await fs.readFile(paths.privateKey, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`key type ${privateKey.asymmetricKeyType}`);
    const publicKeyB64 = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
    return { privateKey, publicKeyB64 };
  } catch (err) {
    throw new AppError('ERR_AGENT_STATE_CORRUPT', `${paths.privateKey} is not an Ed25519 private key`, { cause: err });
  }
}

export async function readIdentity(paths: StatePaths): Promise<Identity | undefined> {
  const text = await readFileIfExists(paths.identity);
  if (text === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new AppError('ERR_AGENT_STATE_CORRUPT', `${paths.identity} is not JSON`, { cause: err });
  }
  const parsed = IdentitySchema.safeParse(data);
  if (!parsed.success) throw new AppError('ERR_AGENT_STATE_CORRUPT', `${paths.identity}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function requireIdentity(paths: StatePaths): Promise<{ identity: Identity; keys: KeyPair }> {
  const identity = await readIdentity(paths);
  if (!identity) throw new AppError('ERR_AGENT_NOT_ENROLLED', `${paths.root} holds no identity`);
  const keys = await loadPrivateKey(paths);
  if (keys.publicKeyB64 !== identity.publicKey) {
    throw new AppError('ERR_AGENT_STATE_CORRUPT', `${paths.privateKey} does not match the public key enrolled in ${paths.identity}`);
  }
  return { identity, keys };
}

export async function writeIdentity(paths: StatePaths, identity: Identity): Promise<void> {
  await writeFileAtomic(paths.identity, JSON.stringify(IdentitySchema.parse(identity), null, 2) + '\n', { mode: 0o600 });
}

/** Sign the upgrade challenge (shared/protocol.ts authMessage) with the agent key; base64. */
export function signChallenge(key: KeyObject, agentId: string, nonce: string): string {
  return sign(null, Buffer.from(authMessage(agentId, nonce), 'utf8'), key).toString('base64');
}
