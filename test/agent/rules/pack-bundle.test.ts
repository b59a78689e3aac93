import { promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../shared/log.js';
import { bundleSigningString, parseBundle, signBundle, unsignedBundle, type PackBundle } from '../../../shared/pack-bundle.js';
import { rulesCommand } from '../../../agent/cli/rules.js';
import { InstalledPacks, packFilesWith, verifyBundle, type PackTrust } from '../../../agent/rules/pack-bundle.js';
import { generateSigningKeys, loadSigningKey, loadTrustedKeys } from '../../../agent/rules/signing-keys.js';

const MINIMAL = path.resolve('test/fixtures/packs/minimal.yaml');
const STREAM = path.resolve('test/fixtures/packs/agent-stream.yaml');

let tmp: string;
let packText: string;
let keyFile: string;
let pubDir: string;

class Sink extends Writable {
  lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l.trim()) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  }
}

function capture(): { log: Logger; sink: Sink } {
  const sink = new Sink();
  return { log: createLogger({ level: 'info', destination: sink }), sink };
}

async function trust(allowUnsigned = false, log: Logger = capture().log): Promise<PackTrust> {
  return { trusted: await loadTrustedKeys(pubDir), allowUnsigned, log };
}

function output(): { stdout: Writable; text: () => string } {
  let text = '';
  const stdout = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stdout, text: () => text };
}

const NONE = new Map<string, { version: string; sha256: string }>();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'rampart-pack-bundle-'));
  packText = await fs.readFile(MINIMAL, 'utf8');
  const keys = await generateSigningKeys(path.join(tmp, 'keys'));
  keyFile = keys.privateKeyFile;
  pubDir = path.join(tmp, 'trusted');
  await fs.mkdir(pubDir, { mode: 0o755 });
  await fs.copyFile(keys.publicKeyFile, path.join(pubDir, 'signer.pub'));
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function signed(text = packText, version = '1.0.0'): Promise<PackBundle> {
  return signBundle({ pack: text, packId: 'test-minimal', version, privateKey: await loadSigningKey(keyFile) });
}

describe('pack signing keys', () => {
  it('writes the private key with mode 0600 and never overwrites a pair', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await expect(generateSigningKeys(path.dirname(keyFile))).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });

  it('refuses a signing key that group or others may read', async () => {
    const loose = path.join(tmp, 'loose.key');
    await fs.copyFile(keyFile, loose);
    await fs.chmod(loose, 0o640);
    await expect(loadSigningKey(loose)).rejects.toMatchObject({ code: 'ERR_PACK_KEY_PERMISSIONS' });
  });

  it('refuses a trusted key directory that others may write', async () => {
    const open = path.join(tmp, 'open-trust');
    await fs.mkdir(open);
    await fs.chmod(open, 0o777);
    await expect(loadTrustedKeys(open)).rejects.toMatchObject({ code: 'ERR_PACK_KEY_PERMISSIONS' });
  });
});

describe('pack bundle verification', () => {
  it('accepts a bundle signed by a trusted key and compiles the pack inside', async () => {
    const v = await verifyBundle(JSON.stringify(await signed()), await trust(), NONE);
    expect(v.check).toMatchObject({ signed: true });
    expect(v.compiled.ref).toMatchObject({ id: 'test-minimal', version: '1.0.0', sha256: v.bundle.sha256 });
  });

  it('refuses a bundle whose pack text changed after signing', async () => {
    const b = await signed();
    const tampered = { ...b, pack: b.pack.replace('maxMode', 'maxMode ') };
    await expect(verifyBundle(tampered, await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_SIGNATURE' });
  });

  it('refuses a bundle whose signed header changed, even with a matching digest', async () => {
    const b = await signed();
    const text = b.pack.replace('version: 1.0.0', 'version: 9.0.0');
    const forged = { ...b, version: '9.0.0', pack: text, sha256: (await import('../../../shared/pack-bundle.js')).sha256Hex(text) };
    await expect(verifyBundle(forged, await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_SIGNATURE' });
  });

  it('refuses a bundle signed by a key the agent does not trust', async () => {
    const other = await generateSigningKeys(path.join(tmp, 'other-keys'));
    const b = signBundle({ pack: packText, packId: 'test-minimal', version: '1.0.0', privateKey: await loadSigningKey(other.privateKeyFile) });
    await expect(verifyBundle(b, await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_UNTRUSTED_KEY' });
  });

  it('refuses an unsigned bundle, and accepts it with --allow-unsigned only with a loud warning each time', async () => {
    const b = unsignedBundle({ pack: packText, packId: 'test-minimal', version: '1.0.0' });
    await expect(verifyBundle(b, await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_UNSIGNED' });
    const { log, sink } = capture();
    await verifyBundle(b, await trust(true, log), NONE);
    await verifyBundle(b, await trust(true, log), NONE);
    expect(sink.lines.filter((l) => String(l.msg).startsWith('UNSIGNED RULE PACK ACCEPTED'))).toHaveLength(2);
  });

  it('still refuses a tampered or untrusted bundle with --allow-unsigned', async () => {
    const b = await signed();
    await expect(verifyBundle({ ...b, pack: b.pack + '\n' }, await trust(true), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_SIGNATURE' });
    const { keyId: _k, ...noKey } = b;
    await expect(verifyBundle(noKey, await trust(true), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_SIGNATURE' });
  });

  it('refuses an older version than the running one, and the same version with other content', async () => {
    const b = await signed();
    await expect(verifyBundle(b, await trust(), new Map([['test-minimal', { version: '1.0.1', sha256: 'a'.repeat(64) }]]))).rejects.toMatchObject({ code: 'ERR_PACK_ROLLBACK' });
    await expect(verifyBundle(b, await trust(), new Map([['test-minimal', { version: '1.0.0', sha256: 'a'.repeat(64) }]]))).rejects.toMatchObject({ code: 'ERR_PACK_ROLLBACK' });
    await expect(verifyBundle(b, await trust(), new Map([['test-minimal', { version: '1.0.0', sha256: b.sha256 }]]))).resolves.toBeTruthy();
  });

  it('refuses a bundle whose header names another pack than the one inside', async () => {
    const b = signBundle({ pack: packText, packId: 'test-other', version: '1.0.0', privateKey: await loadSigningKey(keyFile) });
    await expect(verifyBundle(b, await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_BUNDLE_INVALID' });
  });

  it('refuses a signed pack that names a probe outside the fixed registry', async () => {
    const text = packText.replace('probe: file', 'probe: shell-command');
    const b = await signed(text);
    await expect(verifyBundle(b, await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_UNKNOWN_PROBE' });
  });

  it('refuses what is not a bundle', async () => {
    await expect(verifyBundle('{', await trust(), NONE)).rejects.toMatchObject({ code: 'ERR_PACK_BUNDLE_INVALID' });
    expect(() => parseBundle({ format: 'other' })).toThrow(expect.objectContaining({ code: 'ERR_PACK_BUNDLE_INVALID' }));
  });

  it('signs a canonical string naming the format, pack, version, digest, time and key', async () => {
    const b = await signed();
    expect(bundleSigningString({ ...b, keyId: b.keyId! }).split('\n')).toEqual([b.format, b.packId, b.version, b.sha256, b.signedAt, b.keyId]);
  });
});

describe('installed packs', () => {
  it('installs a verified bundle, loads it again, and drops it once its key is no longer trusted', async () => {
    const store = new InstalledPacks(path.join(tmp, 'state', 'packs'));
    const v = await verifyBundle(await signed(), await trust(), NONE);
    const file = await store.install(v);
    expect(statSync(file.file).mode & 0o777).toBe(0o600);
    expect(await store.load(await trust())).toEqual([file]);
    const { log, sink } = capture();
    expect(await store.load({ trusted: new Map(), allowUnsigned: false, log })).toEqual([]);
    expect(sink.lines.some((l) => l.code === 'ERR_PACK_UNTRUSTED_KEY')).toBe(true);
  });

  it('does not load an installed pack whose YAML was edited on disk', async () => {
    const store = new InstalledPacks(path.join(tmp, 'state2', 'packs'));
    const file = await store.install(await verifyBundle(await signed(), await trust(), NONE));
    await fs.appendFile(file.file, '\n# edited\n');
    const { log, sink } = capture();
    expect(await store.load({ ...(await trust()), log })).toEqual([]);
    expect(sink.lines.some((l) => l.code === 'ERR_PACK_SIGNATURE')).toBe(true);
  });

  it('replaces a base pack with the same id and keeps the others', async () => {
    const installed = [{ packId: 'test-minimal', version: '1.0.1', sha256: 'a'.repeat(64), keyId: null, file: '/state/packs/test-minimal.yaml' }];
    expect(await packFilesWith([MINIMAL, STREAM], installed)).toEqual([STREAM, '/state/packs/test-minimal.yaml']);
    expect(await packFilesWith([MINIMAL], [])).toEqual([MINIMAL]);
  });

  it('keeps a shipped pack that is newer than the installed bundle of the same id (no rollback by an agent upgrade)', async () => {
    const newer = path.join(tmp, 'minimal-2.yaml');
    await fs.writeFile(newer, packText.replace('version: 1.0.0', 'version: 2.0.0'));
    const installed = [{ packId: 'test-minimal', version: '1.5.0', sha256: 'a'.repeat(64), keyId: null, file: '/state/packs/test-minimal.yaml' }];
    expect(await packFilesWith([newer, STREAM], installed)).toEqual([newer, STREAM]);
  });
});

describe('rampart rules keygen|sign|verify', () => {
  it('signs a pack into a bundle file and verifies it with the public key', async () => {
    const dir = path.join(tmp, 'cli');
    const k = output();
    expect(await rulesCommand(['keygen', '--out', dir], { stdout: k.stdout })).toBe(0);
    expect(k.text()).toMatch(/key id [0-9a-f]{16}/);
    const bundleFile = path.join(tmp, 'minimal.bundle.json');
    expect(await rulesCommand(['sign', '--key', path.join(dir, 'pack-signing.key'), MINIMAL, '--out', bundleFile], { stdout: output().stdout })).toBe(0);
    const v = output();
    expect(await rulesCommand(['verify', '--pubkey', path.join(dir, 'pack-signing.pub'), bundleFile], { stdout: v.stdout })).toBe(0);
    expect(v.text()).toContain('ok: test-minimal 1.0.0, 2 rules');
    await expect(rulesCommand(['verify', '--pubkey', pubDir, bundleFile], { stdout: output().stdout })).rejects.toMatchObject({ code: 'ERR_PACK_UNTRUSTED_KEY' });
    await expect(rulesCommand(['verify', '--pubkey', path.join(dir, 'pack-signing.pub'), '--installed', '2.0.0', bundleFile], { stdout: output().stdout })).rejects.toMatchObject({ code: 'ERR_PACK_ROLLBACK' });
  });
});
