/**
 * @module Deterministic UUIDs for OSCAL documents: RFC 9562 version 5 (SHA-1 over a namespace
 * and a name), so the same inputs always give the same identifiers and the same document.
 */
import { createHash } from 'node:crypto';

/** Rampart's OSCAL namespace (a fixed random v4 UUID; never change it, or every identifier changes). */
export const RAMPART_UUID_NAMESPACE = '5b0c7f1e-3d2a-4c6b-9e8f-a1b2c3d4e5f6';

const namespaceBytes = new Map<string, Buffer>();

function uuidBytes(uuid: string): Buffer {
  let bytes = namespaceBytes.get(uuid);
  if (!bytes) {
    const hex = uuid.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
    bytes = Buffer.from(hex, 'hex');
    if (namespaceBytes.size < 64) namespaceBytes.set(uuid, bytes);
  }
  return bytes;
}

/** UUID version 5 of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = RAMPART_UUID_NAMESPACE): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const b = digest.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A v5 UUID from several parts (joined unambiguously). */
export function stableUuid(...parts: string[]): string {
  return uuidV5(JSON.stringify(parts));
}
