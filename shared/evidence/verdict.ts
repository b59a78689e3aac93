/**
 * @module How a result counts at an instant ("as of"): a failure covered by an active waiver counts
 * as waived; once the waiver expires it counts as failed again by itself. Also the due state of a failure.
 */
import type { EvidenceModel, EvidenceResult, Waiver } from './model.js';

export type Verdict = 'pass' | 'fail' | 'waived' | 'error' | 'not-applicable';
export type WaiverState = 'active' | 'expired' | 'not-yet-active';
export type DueState = 'overdue' | 'due-soon' | 'open';

/** Days before the due date from which a failure is listed as due soon. */
export const DUE_SOON_DAYS = 7;

export function waiverState(waiver: Waiver, asOf: string): WaiverState {
  const now = Date.parse(asOf);
  if (now < Date.parse(waiver.start)) return 'not-yet-active';
  return now < Date.parse(waiver.expiry) ? 'active' : 'expired';
}

export function verdictOf(result: EvidenceResult, asOf: string): Verdict {
  if (result.status !== 'fail') return result.status;
  return result.waiver && waiverState(result.waiver, asOf) === 'active' ? 'waived' : 'fail';
}

/** The due state of a failing result with a known due date; undefined when it does not fail or has no due date. */
export function dueStateOf(result: EvidenceResult, asOf: string, soonDays = DUE_SOON_DAYS): DueState | undefined {
  if (result.status !== 'fail' || !result.dueAt) return undefined;
  const left = Date.parse(result.dueAt) - Date.parse(asOf);
  if (left < 0) return 'overdue';
  return left <= soonDays * 86_400_000 ? 'due-soon' : 'open';
}

export interface VerdictCounts {
  total: number;
  pass: number;
  fail: number;
  waived: number;
  error: number;
  notApplicable: number;
}

export function countVerdicts(results: readonly EvidenceResult[], asOf: string): VerdictCounts {
  const c: VerdictCounts = { total: 0, pass: 0, fail: 0, waived: 0, error: 0, notApplicable: 0 };
  for (const r of results) {
    c.total++;
    const v = verdictOf(r, asOf);
    if (v === 'not-applicable') c.notApplicable++;
    else c[v]++;
  }
  return c;
}

/** Hosts sorted by id and results by host then rule: every export walks the model in this one order. */
export function sortedModel(model: EvidenceModel): EvidenceModel {
  const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    ...model,
    hosts: [...model.hosts].sort((a, b) => byString(a.id, b.id)),
    results: [...model.results].sort((a, b) => byString(a.hostId, b.hostId) || byString(a.ruleId, b.ruleId) || byString(a.collectedAt, b.collectedAt)),
  };
}
