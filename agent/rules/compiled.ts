/**
 * @module The loaded, validated form of a rule pack that the evaluator runs: every probe
 * resolved from the registry, every params object parsed, every parameter reference filled.
 */
import type { Expect } from '../../shared/expectation.js';
import type { Rule } from '../../shared/rule-pack.js';
import type { PackRef } from '../../shared/result.js';
import type { Probe } from '../probes/probe.js';

export type CompiledCheck =
  | {
      kind: 'probe';
      probe: Probe;
      /** Params as written (after parameter substitution), shown in evidence. */
      rawParams: Record<string, unknown>;
      /** Params after the probe's schema applied defaults; what `run` receives. */
      params: unknown;
      expect: Expect;
      description?: string;
      /** Stable key so identical probe calls share one observation per scan. */
      key: string;
    }
  | { kind: 'all' | 'any' | 'none'; children: CompiledCheck[] };

export interface CompiledRule {
  packId: string;
  rule: Rule;
  check: CompiledCheck;
  applicability?: CompiledCheck;
  clockDays?: number;
  clockDirective?: string;
  /** Set by tailoring: the rule is switched off for this agency, with the reason. */
  disabledReason?: string;
}

export interface CompiledPack {
  ref: PackRef;
  file: string;
  rules: CompiledRule[];
}
