/**
 * @module The probe registry: the one list of check types. To add a check type, write one
 * probe file, add it to PROBES below, add a fixture and a test; the contract suite
 * (test/agent/probe-contract.test.ts) and the pack tests then cover it automatically.
 */
import type { Probe } from './probe.js';
import { fileProbe } from './file.js';

export const PROBES: readonly Probe[] = [
  fileProbe,
  // Add new probes here, one line each.
] as unknown as readonly Probe[];

export const PROBE_REGISTRY: ReadonlyMap<string, Probe> = new Map(PROBES.map((p) => [p.type, p]));

export function getProbe(type: string): Probe | undefined {
  return PROBE_REGISTRY.get(type);
}
