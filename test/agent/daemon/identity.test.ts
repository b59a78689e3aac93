import { createPublicKey, verify } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authMessage } from '../../../shared/protocol.js';
import { generateKeyPair, loadPrivateKey, requireIdentity, signChallenge, writeIdentity, writePrivateKey } from '../../../agent/daemon/identity.js';
import { ensureStateDir, lockStateDir, statePaths, type StatePaths } from '../../../agent/daemon/state-dir.js';

let paths: StatePaths;
beforeEach(async () => {
  paths = statePaths(await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-identity-')));
  await ensureStateDir(paths);
});
afterEach(async () => {
  await fs.rm(paths.root, { recursive: true, force: true });
});

describe('agent identity', () => {
  it('writes the private key 0600 and signs challenges the collector can verify with the enrolled public key', async () => {
    const keys = generateKeyPair();
    await writePrivateKey(paths.privateKey, keys.privateKey);
    expect((await fs.stat(paths.privateKey)).mode & 0o777).toBe(0o600);
    const loaded = await loadPrivateKey(paths);
    expect(loaded.publicKeyB64).toBe(keys.publicKeyB64);
    const sig = signChallenge(loaded.privateKey, 'agent-1', 'nonce-1');
    const pub = createPublicKey({ key: Buffer.from(keys.publicKeyB64, 'base64'), format: 'der', type: 'spki' });
    expect(verify(null, Buffer.from(authMessage('agent-1', 'nonce-1')), pub, Buffer.from(sig, 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(authMessage('agent-1', 'nonce-2')), pub, Buffer.from(sig, 'base64'))).toBe(false);
  });

  it.each([0o640, 0o604, 0o660, 0o644])('refuses a private key with mode %o (ERR_AGENT_KEY_PERMISSIONS)', async (mode) => {
    await writePrivateKey(paths.privateKey, generateKeyPair().privateKey);
    await fs.chmod(paths.privateKey, mode);
    await expect(loadPrivateKey(paths)).rejects.toMatchObject({ code: 'ERR_AGENT_KEY_PERMISSIONS' });
  });

  it('refuses a key that does not match the enrolled public key, and a missing identity', async () => {
    await expect(requireIdentity(paths)).rejects.toMatchObject({ code: 'ERR_AGENT_NOT_ENROLLED' });
    await writePrivateKey(paths.privateKey, generateKeyPair().privateKey);
    await writeIdentity(paths, { agentId: 'a', agency: 'dhs', serverUrl: 'http://x:1', enrolledAt: new Date().toISOString(), publicKey: generateKeyPair().publicKeyB64 });
    await expect(requireIdentity(paths)).rejects.toMatchObject({ code: 'ERR_AGENT_STATE_CORRUPT' });
  });

  it('reports a corrupt identity file as ERR_AGENT_STATE_CORRUPT', async () => {
    await fs.writeFile(paths.identity, '{"agentId":');
    await expect(requireIdentity(paths)).rejects.toMatchObject({ code: 'ERR_AGENT_STATE_CORRUPT' });
  });

  it('takes over a lock left by a dead process, and refuses one held by a live process', async () => {
    await fs.writeFile(paths.lock, '999999999\n');
    const lock = await lockStateDir(paths);
    expect((await fs.readFile(paths.lock, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await fs.writeFile(paths.lock, `${process.ppid}\n`);
    await expect(lockStateDir(paths)).rejects.toMatchObject({ code: 'ERR_AGENT_STATE_LOCKED' });
  });
});
