/**
 * @module Secrets the collector hands out (enrollment tokens, API tokens, challenge nonces):
 * generated from 32 random bytes, shown once, stored only as sha256 hashes.
 */
import { createHash, randomBytes } from 'node:crypto';

export const ENROLL_TOKEN_PREFIX = 'rpe_';
export const API_TOKEN_PREFIX = 'rpa_';

/** A new secret: prefix + 32 random bytes, base64url. */
export function generateToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The only form a token is stored in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 32 random bytes, base64url without padding (43 characters). */
export function generateNonce(): string {
  return randomBytes(32).toString('base64url');
}
