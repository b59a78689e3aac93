/**
 * @module What a probe is: a type name, a zod schema for its params, the fields it observes,
 * and a `run` that reads the host through the ScanContext. Probes never throw on purpose;
 * the runner turns any throw into an `error` result anyway.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../../shared/errors.js';
import type { ScanContext } from '../engine/context.js';

export type Observation =
  | { status: 'observed'; values: Record<string, unknown>; sources?: string[] }
  | { status: 'not-applicable'; reason: string; sources?: string[] }
  | { status: 'error'; code: ErrorCode; message: string; sources?: string[] };

export interface Probe<S extends z.ZodType = z.ZodType> {
  /** Lowercase kebab name that packs use in `probe:`. */
  readonly type: string;
  /** One sentence for docs and `rampart rules probes`. */
  readonly summary: string;
  readonly params: S;
  /** Every field this probe observes, with its meaning. `expect:` may only test these. */
  readonly fields: Readonly<Record<string, string>>;
  /** Params that are valid for this probe (the contract suite and docs use them). */
  readonly example: z.input<S>;
  /** Params this probe must reject (the contract suite checks each is refused). */
  readonly badExamples: readonly unknown[];
  run(params: z.output<S>, ctx: ScanContext): Promise<Observation>;
}

/** What a probe file writes: a Probe whose params schema is a function that builds it. */
export type ProbeDefinition<S extends z.ZodType> = Omit<Probe<S>, 'params'> & { readonly params: () => S };

/**
 * Keeps the params type attached to `run`, and builds the params schema on first use only: a scan
 * from the validated-pack cache never parses params, and constructing every probe's zod schema was
 * the largest part of a scan process's start-up (docs/PERFORMANCE.md, "Agent footprint").
 */
export function defineProbe<S extends z.ZodType>(definition: ProbeDefinition<S>): Probe<S> {
  const { params: build, ...rest } = definition;
  let schema: S | undefined;
  return Object.defineProperty(rest, 'params', { get: () => (schema ??= build()), enumerable: true }) as unknown as Probe<S>;
}

export function observed(values: Record<string, unknown>, sources?: string[]): Observation {
  return sources === undefined ? { status: 'observed', values } : { status: 'observed', values, sources };
}

export function notApplicable(reason: string, sources?: string[]): Observation {
  return sources === undefined ? { status: 'not-applicable', reason } : { status: 'not-applicable', reason, sources };
}

export function probeError(code: ErrorCode, message: string, sources?: string[]): Observation {
  return sources === undefined ? { status: 'error', code, message } : { status: 'error', code, message, sources };
}

/**
 * The answer when a runtime-only source (/proc, /sys, a command) is missing: on an offline
 * root that is expected and the check does not apply; on a live host it is an error.
 */
export function runtimeMissing(ctx: ScanContext, what: string): Observation {
  return ctx.host.live
    ? probeError('ERR_PROBE_UNAVAILABLE', `${what} is not available on this host`)
    : notApplicable(`${what} is a runtime fact and this is an offline root without it`);
}
