/**
 * @module Pack signing keys: an Ed25519 pair made with node:crypto (`rampart rules keygen`), the
 * private key loaded only from a file of mode 0600 or stricter (a looser one is refused, as ssh
 * does), and the agent's trust root: a directory of `.pub` files (or one file), keyed by key id.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { keyIdOf } from '../../shared/pack-bundle.js';

export const PRIVATE_KEY_FILE = 'pack-signing.key';
export const PUBLIC_KEY_FILE = 'pack-signing.pub';

export interface GeneratedKeys {
  keyId: string;
  privateKeyFile: string;
  publicKeyFile: string;
}

/** Write a new pair into `dir` (created 0700): the private key 0600, the public key 0644. Never overwrites. */
export async function generateSigningKeys(dir: string): Promise<GeneratedKeys> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyFile = path.join(dir, PRIVATE_KEY_FILE);
  const publicKeyFile = path.join(dir, PUBLIC_KEY_FILE);
  for (const f of [privateKeyFile, publicKeyFile]) {
    if (await fs.lstat(f).then(() => true, () => false)) throw new AppError('ERR_USAGE', `${f} already exists; choose another --out directory (keys are never overwritten)`);
  }
  // O_EXCL + mode at creation: the private key is never readable by others, not even for an instant.
  const handle = await fs.open(privateKeyFile, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await handle.writeFile(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.chmod(privateKeyFile, 0o600);
  await fs.writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  return { keyId: keyIdOf(publicKey), privateKeyFile, publicKeyFile };
}

/** Load a private signing key, refusing a file that group or others may read or write. */
export async function loadSigningKey(file: string): Promise<KeyObject> {
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read the signing key ${file}`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new AppError('ERR_PACK_KEY_PERMISSIONS', `${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; a signing key must be 0600 or stricter`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && st.uid !== uid) {
    throw new AppError('ERR_PACK_KEY_PERMISSIONS', `${file} is owned by uid ${st.uid}, not by you (uid ${uid})`);
  }
  try {
    const key = createPrivateKey(await fs.readFile(file, 'utf8'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type ${key.asymmetricKeyType}`);
    return key;
  } catch (err) {
    throw new AppError('ERR_PACK_KEY_INVALID', `${file} is not an Ed25519 private key in PEM form`, { cause: err });
  }
}

/** Parse one public key file (SPKI PEM); throws ERR_PACK_KEY_INVALID. */
export function parsePublicKeyPem(text: string, file: string): KeyObject {
  try {
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type ${key.asymmetricKeyType}`);
    return key;
  } catch (err) {
    throw new AppError('ERR_PACK_KEY_INVALID', `${file} is not an Ed25519 public key in PEM form`, { cause: err });
  }
}

/**
 * The trusted pack keys: every `*.pub` in a directory, or one public key file. A directory that
 * group or others may write is refused (whoever can add a key there can sign rules for this host).
 * A missing directory is an empty trust set: every signed bundle is then an untrusted-key refusal.
 */
export async function loadTrustedKeys(location: string): Promise<Map<string, KeyObject>> {
  const keys = new Map<string, KeyObject>();
  let st;
  try {
    st = await fs.stat(location);
  } catch {
    return keys;
  }
  const files: string[] = [];
  if (st.isDirectory()) {
    if ((st.mode & 0o022) !== 0) {
      throw new AppError('ERR_PACK_KEY_PERMISSIONS', `trusted key directory ${location} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; group and others must not be able to write it`);
    }
    for (const name of (await fs.readdir(location)).sort()) if (name.endsWith('.pub')) files.push(path.join(location, name));
  } else files.push(location);
  for (const file of files) {
    const key = parsePublicKeyPem(await fs.readFile(file, 'utf8'), file);
    keys.set(keyIdOf(key), key);
  }
  return keys;
}
