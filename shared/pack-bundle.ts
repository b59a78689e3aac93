/**
 * @module Signed rule pack bundles (format `rampart-pack-bundle/1`): the JSON a pack travels in from
 * the signer, through the collector, to agents. Ed25519 over one canonical string that names the
 * format, pack id, version, the sha256 of the pack text, the signing time and the key id; the pack
 * text itself is covered through its sha256. Pure functions, shared by the CLI (sign, verify),
 * the collector (shape check on publish) and the agent (verification before install).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { AppError } from './errors.js';
import { PackIdSchema } from './rule-pack.js';

export const PACK_BUNDLE_FORMAT = 'rampart-pack-bundle/1' as const;

/** Largest pack text a bundle may carry (the shipped baseline is ~180 KiB). */
export const MAX_PACK_BYTES = 2 * 1024 * 1024;
/**
 * Largest `pack` frame an agent reads (its WebSocket maxPayload is at least this): room for the
 * largest pack after JSON escaping. The collector refuses to publish a bundle whose frame is larger.
 */
export const MAX_PACK_FRAME_BYTES = 8 * 1024 * 1024;

export const PackVersionSchema = z.string().regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, 'a semantic version x.y.z');
/** First 16 hex digits of the sha256 of the public key (SPKI DER). */
export const KeyIdSchema = z.string().regex(/^[0-9a-f]{16}$/);

export const PackBundleSchema = z.strictObject({
  format: z.literal(PACK_BUNDLE_FORMAT),
  packId: PackIdSchema,
  version: PackVersionSchema,
  /** sha256 (hex) of the UTF-8 pack text: the digest every result of this pack names. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  signedAt: z.iso.datetime({ offset: true }),
  /** Absent on an unsigned (development) bundle. */
  keyId: KeyIdSchema.optional(),
  /** Ed25519 signature (base64) over bundleSigningString(); absent on an unsigned bundle. */
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'a base64 Ed25519 signature').optional(),
  /** The rule pack YAML, exactly as signed. */
  pack: z.string().min(1).max(MAX_PACK_BYTES),
});
export type PackBundle = z.infer<typeof PackBundleSchema>;

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The exact string that is signed: format, packId, version, sha256, signedAt and keyId, one per line. */
export function bundleSigningString(b: Pick<PackBundle, 'format' | 'packId' | 'version' | 'sha256' | 'signedAt'> & { keyId: string }): string {
  return [b.format, b.packId, b.version, b.sha256, b.signedAt, b.keyId].join('\n');
}

/** Key id of an Ed25519 public key: sha256 of its SPKI DER, first 16 hex digits. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(pub.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

/** Compare x.y.z versions numerically: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Parse bundle JSON text (or an already-parsed value); throws ERR_PACK_BUNDLE_INVALID. */
export function parseBundle(input: string | unknown): PackBundle {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new AppError('ERR_PACK_BUNDLE_INVALID', 'the pack bundle is not JSON');
    }
  }
  const parsed = PackBundleSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('ERR_PACK_BUNDLE_INVALID', `the pack bundle is not a ${PACK_BUNDLE_FORMAT} bundle: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Build and sign a bundle for pack text whose id and version the caller has read from the pack. */
export function signBundle(input: { pack: string; packId: string; version: string; privateKey: KeyObject; signedAt?: string }): PackBundle {
  const keyId = keyIdOf(input.privateKey);
  const head = { format: PACK_BUNDLE_FORMAT, packId: input.packId, version: input.version, sha256: sha256Hex(input.pack), signedAt: input.signedAt ?? new Date().toISOString(), keyId };
  const signature = sign(null, Buffer.from(bundleSigningString(head), 'utf8'), input.privateKey).toString('base64');
  return PackBundleSchema.parse({ ...head, signature, pack: input.pack });
}

/** An unsigned bundle (development only: agents refuse it unless started with --allow-unsigned). */
export function unsignedBundle(input: { pack: string; packId: string; version: string; signedAt?: string }): PackBundle {
  return PackBundleSchema.parse({ format: PACK_BUNDLE_FORMAT, packId: input.packId, version: input.version, sha256: sha256Hex(input.pack), signedAt: input.signedAt ?? new Date().toISOString(), pack: input.pack });
}

export type SignatureCheck = { signed: true; keyId: string } | { signed: false };

/**
 * Check digest, key and signature against the trusted keys (keyId → public key). Throws
 * ERR_PACK_SIGNATURE (digest or signature wrong), ERR_PACK_UNTRUSTED_KEY, or ERR_PACK_UNSIGNED
 * (no signature; returned as {signed:false} only when `allowUnsigned`). The digest is checked
 * first, so a changed pack text is a tampered bundle whatever key it names.
 */
export function checkBundleSignature(bundle: PackBundle, trusted: ReadonlyMap<string, KeyObject>, allowUnsigned = false): SignatureCheck {
  if (sha256Hex(bundle.pack) !== bundle.sha256) {
    throw new AppError('ERR_PACK_SIGNATURE', `pack ${bundle.packId} ${bundle.version}: the pack text does not match the signed sha256 (changed after signing)`);
  }
  if (bundle.signature === undefined || bundle.keyId === undefined) {
    if (bundle.signature !== undefined || bundle.keyId !== undefined) {
      throw new AppError('ERR_PACK_SIGNATURE', `pack ${bundle.packId} ${bundle.version}: a signature needs both keyId and signature`);
    }
    if (allowUnsigned) return { signed: false };
    throw new AppError('ERR_PACK_UNSIGNED', `pack ${bundle.packId} ${bundle.version} is not signed`);
  }
  const key = trusted.get(bundle.keyId);
  if (!key) throw new AppError('ERR_PACK_UNTRUSTED_KEY', `pack ${bundle.packId} ${bundle.version} is signed by key ${bundle.keyId}, which is not trusted here`);
  let ok = false;
  try {
    ok = verify(null, Buffer.from(bundleSigningString({ ...bundle, keyId: bundle.keyId }), 'utf8'), key, Buffer.from(bundle.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new AppError('ERR_PACK_SIGNATURE', `pack ${bundle.packId} ${bundle.version}: the signature does not verify with key ${bundle.keyId}`);
  return { signed: true, keyId: bundle.keyId };
}
