/**
 * @module The state digest both sides compute: sha256 over the lines `${ruleId}\t${status}\n`
 * sorted by ruleId (plain code-unit order, as Array#sort does), hex encoded.
 */
import { createHash } from 'node:crypto';
import type { CheckStatus } from './result.js';

export interface DigestEntry {
  ruleId: string;
  status: CheckStatus | string;
}

export interface StateDigest {
  count: number;
  sha256: string;
}

/**
 * Digest of a rule → status state. Order of the input does not matter; ruleIds must be unique.
 * @example stateDigest([{ ruleId: 'linux.a', status: 'pass' }]).sha256
 */
export function stateDigest(entries: Iterable<DigestEntry>): StateDigest {
  const list = [...entries].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  const hash = createHash('sha256');
  for (const e of list) hash.update(`${e.ruleId}\t${e.status}\n`, 'utf8');
  return { count: list.length, sha256: hash.digest('hex') };
}
