/**
 * @module Evaluate a compiled check tree: run probes (once per distinct call per scan),
 * apply expectations, and combine all/any/none into one status with evidence.
 */
import { isAppError } from '../../shared/errors.js';
import { CveMatchSchema, type CheckStatus, type CveMatch, type Evidence } from '../../shared/result.js';
import type { CompiledCheck } from '../rules/compiled.js';
import type { Observation } from '../probes/probe.js';
import type { ScanContext } from './context.js';
import { HostReadError } from '../host/host.js';
import { describeExpect, getPath, matches } from './matchers.js';

export interface CheckOutcome {
  status: CheckStatus;
  expected: string;
  observed: string;
  evidence: Evidence[];
  error?: { code: string; message: string };
  reason?: string;
  /** CVEs matched by failing leaves (a probe's `cveMatches` value), for RuleResult.cves. */
  cves?: CveMatch[];
}

const MAX_OBSERVED_TEXT = 2000;

/** Run a probe, converting any throw into an `error` observation (a probe never aborts a scan). */
export function observe(check: Extract<CompiledCheck, { kind: 'probe' }>, ctx: ScanContext): Promise<Observation> {
  return ctx.memo(`probe:${check.key}`, async () => {
    try {
      return await check.probe.run(check.params, ctx);
    } catch (err) {
      if (err instanceof HostReadError) {
        const code = err.kind === 'permission' ? 'ERR_PROBE_PERMISSION' : err.kind === 'timeout' ? 'ERR_PROBE_TIMEOUT' : 'ERR_PROBE_FAILED';
        return { status: 'error', code, message: err.message };
      }
      if (isAppError(err)) return { status: 'error', code: err.code, message: err.message };
      return { status: 'error', code: 'ERR_PROBE_FAILED', message: (err as Error)?.message ?? String(err) };
    }
  });
}

function truncate(text: string): string {
  return text.length > MAX_OBSERVED_TEXT ? `${text.slice(0, MAX_OBSERVED_TEXT - 1)}…` : text;
}

function showValue(v: unknown): string {
  if (v === undefined) return 'not set';
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

async function evaluateLeaf(check: Extract<CompiledCheck, { kind: 'probe' }>, ctx: ScanContext): Promise<CheckOutcome> {
  const expected = check.description ? `${check.description}: ${describeExpect(check.expect)}` : describeExpect(check.expect);
  const base = { probe: check.probe.type, params: check.rawParams, expected };
  const obs = await observe(check, ctx);
  const sources = obs.sources === undefined ? {} : { sources: obs.sources };
  if (obs.status === 'not-applicable') {
    return {
      status: 'not-applicable',
      expected,
      observed: obs.reason,
      reason: obs.reason,
      evidence: [{ ...base, status: 'not-applicable', observed: null, reason: obs.reason, ...sources }],
    };
  }
  if (obs.status === 'error') {
    const error = { code: obs.code, message: obs.message };
    return { status: 'error', expected, observed: `could not observe: ${obs.message}`, error, evidence: [{ ...base, status: 'error', observed: null, error, ...sources }] };
  }
  const subset: Record<string, unknown> = {};
  let ok = true;
  try {
    for (const [field, matcher] of Object.entries(check.expect)) {
      const value = getPath(obs.values, field);
      subset[field] = value === undefined ? null : value;
      if (!matches(value, matcher, field)) ok = false;
    }
  } catch (err) {
    const error = isAppError(err) ? { code: err.code, message: err.message } : { code: 'ERR_EXPECT_TYPE', message: String(err) };
    return { status: 'error', expected, observed: error.message, error, evidence: [{ ...base, status: 'error', observed: subset, error, ...sources }] };
  }
  const status: CheckStatus = ok ? 'pass' : 'fail';
  const observedText = Object.entries(subset)
    .map(([k, v]) => `${k} = ${showValue(v)}`)
    .join('; ');
  const outcome: CheckOutcome = { status, expected, observed: truncate(observedText), evidence: [{ ...base, status, observed: subset, ...sources }] };
  if (status === 'fail') {
    const cves = cveMatchesOf(obs.values);
    if (cves.length > 0) outcome.cves = cves;
  }
  return outcome;
}

/** A probe's `cveMatches` value, keeping only well-formed entries. */
function cveMatchesOf(values: Record<string, unknown>): CveMatch[] {
  const list = values.cveMatches;
  if (!Array.isArray(list)) return [];
  return list.flatMap((c) => {
    const parsed = CveMatchSchema.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Combine child outcomes. `none` passes when no child passes. N/A children are ignored. */
export function combine(kind: 'all' | 'any' | 'none', children: CheckOutcome[]): CheckStatus {
  const count = (s: CheckStatus) => children.filter((c) => c.status === s).length;
  const pass = count('pass');
  const fail = count('fail');
  const error = count('error');
  if (pass + fail + error === 0) return 'not-applicable';
  if (kind === 'all') return fail > 0 ? 'fail' : error > 0 ? 'error' : 'pass';
  if (kind === 'any') return pass > 0 ? 'pass' : error > 0 ? 'error' : 'fail';
  return pass > 0 ? 'fail' : error > 0 ? 'error' : 'pass';
}

export async function evaluateCheck(check: CompiledCheck, ctx: ScanContext): Promise<CheckOutcome> {
  if (check.kind === 'probe') return evaluateLeaf(check, ctx);
  const children = await Promise.all(check.children.map((c) => evaluateCheck(c, ctx)));
  const status = combine(check.kind, children);
  const label = check.kind === 'all' ? 'all of' : check.kind === 'any' ? 'any of' : 'none of';
  const firstError = children.find((c) => c.error)?.error;
  const outcome: CheckOutcome = {
    status,
    expected: `${label}: ${children.map((c) => `(${c.expected})`).join(' ')}`,
    observed: truncate(children.map((c) => c.observed).filter(Boolean).join(' | ')),
    evidence: children.flatMap((c) => c.evidence),
  };
  if (status === 'error' && firstError) outcome.error = firstError;
  const cves = children.flatMap((c) => c.cves ?? []);
  if (status === 'fail' && cves.length > 0) outcome.cves = cves;
  if (status === 'not-applicable') outcome.reason = children.map((c) => c.reason).filter(Boolean).join('; ');
  return outcome;
}
