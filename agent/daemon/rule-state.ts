/**
 * @module The agent's view of its rule state (ruleId → status + evidence hash) and the pure
 * computations on it: what changed since a baseline (delta), splitting a scan into frames,
 * applying a results frame to a state, and the digest both sides compare.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RuleResult } from '../../shared/result.js';
import { CheckStatusSchema } from '../../shared/result.js';
import type { ResultsFrame } from '../../shared/protocol.js';
import { stateDigest, type StateDigest } from '../../shared/state-digest.js';

export const RuleEntrySchema = z.strictObject({ status: CheckStatusSchema, hash: z.string() });
export type RuleEntry = z.infer<typeof RuleEntrySchema>;
export type RuleState = Map<string, RuleEntry>;

/**
 * Hashes of results already hashed: the daemon reuses an unchanged result's validated value from
 * one scan to the next (agent/watchdog/message-parser.ts, inheritHash), so it is hashed once, not
 * every scan. Results are never changed once built.
 */
const hashes = new WeakMap<RuleResult, string>();

/**
 * Hash of what a verdict says: status, expected, observed, evidence, error, reason and matched CVEs.
 * Timing (durationMs) and rule metadata are left out, so an unchanged host hashes the same.
 */
export function resultHash(r: RuleResult): string {
  const known = hashes.get(r);
  if (known !== undefined) return known;
  const parts: unknown[] = [r.status, r.expected, r.observed, r.evidence, r.error ?? null, r.reason ?? null];
  // Matched CVEs decide a BOD 26-04 tier (a newly KEV-listed CVE must reach the collector); only
  // results that carry them hash differently, so an upgraded agent does not resend everything.
  if (r.cves !== undefined) parts.push(r.cves);
  const material = JSON.stringify(parts);
  const hash = createHash('sha256').update(material).digest('hex');
  hashes.set(r, hash);
  return hash;
}

/** `to` is `from` with another durationMs (which the hash leaves out): it has the same hash. */
export function inheritHash(from: RuleResult, to: RuleResult): void {
  const known = hashes.get(from);
  if (known !== undefined) hashes.set(to, known);
}

export function entryOf(r: RuleResult): RuleEntry {
  return { status: r.status, hash: resultHash(r) };
}

export interface DeltaPlan {
  full: boolean;
  /** Results to send: every result when full, else only new or changed ones. */
  results: RuleResult[];
  /** Delta only: rules in the baseline that the scan no longer evaluates. */
  removed: string[];
}

/**
 * What a scan must send given the state the collector will hold once everything queued is
 * delivered. `forceFull` (first contact, resync, overflow drop) sends everything.
 */
export function planDelta(baseline: RuleState, results: RuleResult[], forceFull: boolean): DeltaPlan {
  if (forceFull || baseline.size === 0) return { full: true, results, removed: [] };
  const changed = results.filter((r) => {
    const prev = baseline.get(r.ruleId);
    return prev === undefined || prev.status !== r.status || prev.hash !== resultHash(r);
  });
  const seen = new Set(results.map((r) => r.ruleId));
  const removed = [...baseline.keys()].filter((id) => !seen.has(id)).sort();
  return { full: false, results: changed, removed };
}

export interface FramePart {
  results: RuleResult[];
  removed?: string[];
  part?: number;
  parts?: number;
}

export interface SplitLimits {
  maxResults: number;
  /** Byte budget for the results of one frame (the caller leaves room for the envelope). */
  maxBytes: number;
}

/**
 * Split a plan into frames of at most `maxResults` results and about `maxBytes` of results
 * each. A delta with no change is one empty frame (it still records that the scan ran).
 */
export function splitPlan(plan: DeltaPlan, limits: SplitLimits): FramePart[] {
  const chunks: RuleResult[][] = [];
  let chunk: RuleResult[] = [];
  let bytes = 0;
  for (const r of plan.results) {
    const size = Buffer.byteLength(JSON.stringify(r)) + 1;
    if (chunk.length > 0 && (chunk.length >= limits.maxResults || bytes + size > limits.maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0 || chunks.length === 0) chunks.push(chunk);
  const parts: FramePart[] = chunks.map((results, i) => (plan.full ? { results, part: i, parts: chunks.length } : { results }));
  if (!plan.full) {
    // Removed ids ride in delta frames only, at most maxResults per frame.
    for (let i = 0, k = 0; i < plan.removed.length; i += limits.maxResults, k++) {
      const removed = plan.removed.slice(i, i + limits.maxResults);
      if (k < parts.length) parts[k]!.removed = removed;
      else parts.push({ results: [], removed });
    }
  }
  return parts;
}

/** Apply a results frame to a state, as the collector will: part 0 of a full state starts afresh. */
export function applyResultsFrame(state: RuleState, frame: Pick<ResultsFrame, 'full' | 'part' | 'results' | 'removed'>): void {
  if (frame.full && (frame.part ?? 0) === 0) state.clear();
  for (const r of frame.results) state.set(r.ruleId, entryOf(r));
  for (const id of frame.removed ?? []) state.delete(id);
}

export function digestOf(state: RuleState): StateDigest {
  return stateDigest([...state].map(([ruleId, e]) => ({ ruleId, status: e.status })));
}

export function stateToJson(state: RuleState): Record<string, RuleEntry> {
  return Object.fromEntries([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function stateFromJson(obj: Record<string, RuleEntry>): RuleState {
  return new Map(Object.entries(obj));
}
