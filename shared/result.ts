/**
 * @module Check results and the scan report: the evidence every other part of Rampart carries.
 * docs/scan-output.md documents the JSON form of ScanReport field by field.
 */
import { z } from 'zod';
import { ReferencesSchema, SeveritySchema } from './rule-pack.js';
import { InventorySchema } from './inventory.js';

export const CheckStatusSchema = z.enum(['pass', 'fail', 'error', 'not-applicable']);
export type CheckStatus = z.infer<typeof CheckStatusSchema>;

export const ResultErrorSchema = z.strictObject({ code: z.string(), message: z.string() });

/** One probe observation inside a rule's check tree. */
export const EvidenceSchema = z.strictObject({
  probe: z.string(),
  params: z.record(z.string(), z.unknown()),
  status: CheckStatusSchema,
  expected: z.string(),
  observed: z.unknown(),
  /** Files and commands the probe read, for the auditor. */
  sources: z.array(z.string()).optional(),
  reason: z.string().optional(),
  error: ResultErrorSchema.optional(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

/**
 * A CVE that a failing check matched on the host (an installed version below the fix), with what the
 * agent knows of it: the BOD 26-04 Table 1 inputs the agent can supply. Exposure is the collector's.
 */
export const CveMatchSchema = z.strictObject({
  cve: z.string().regex(/^CVE-\d{4}-\d{4,19}$/),
  /** On the agent's KEV catalog; null when no catalog was loaded. */
  kev: z.boolean().nullable(),
  /** KEV catalog dueDate and dateAdded (listed CVEs only). */
  kevDueDate: z.iso.date().optional(),
  kevDateAdded: z.iso.date().optional(),
  /** SSVC Automatable and Technical Impact, when the rule supplies them (else the directive's defaults apply). */
  automatable: z.enum(['yes', 'no']).optional(),
  technicalImpact: z.enum(['partial', 'total']).optional(),
});
export type CveMatch = z.infer<typeof CveMatchSchema>;

/** One entry per CVE, in CVE order; two checks matching the same CVE keep what either knows (a KEV listing wins). */
export function mergeCveMatches(cves: readonly CveMatch[]): CveMatch[] {
  const by = new Map<string, CveMatch>();
  for (const c of cves) {
    const prev = by.get(c.cve);
    by.set(c.cve, prev ? { ...c, ...prev, kev: prev.kev === true || c.kev === true ? true : (prev.kev ?? c.kev) } : c);
  }
  return [...by.values()].sort((a, b) => (a.cve < b.cve ? -1 : a.cve > b.cve ? 1 : 0));
}

export const RuleResultSchema = z.strictObject({
  ruleId: z.string(),
  packId: z.string(),
  title: z.string(),
  severity: SeveritySchema,
  status: CheckStatusSchema,
  /** What the rule requires, in words. */
  expected: z.string(),
  /** What the host showed, in words. */
  observed: z.string(),
  evidence: z.array(EvidenceSchema),
  error: ResultErrorSchema.optional(),
  /** Why the rule did not apply. */
  reason: z.string().optional(),
  references: ReferencesSchema,
  remediation: z.string(),
  /** Days the directive clock gives to fix a failure (absent: no directive clock). */
  clockDays: z.number().int().positive().optional(),
  clockDirective: z.string().optional(),
  /** CVEs the failing checks matched (vulnerable-version), for BOD 26-04 Table 1. Optional within protocol v1: older agents omit it. */
  cves: z.array(CveMatchSchema).max(1000).optional(),
  durationMs: z.number().nonnegative(),
});
export type RuleResult = z.infer<typeof RuleResultSchema>;

export const HostFactsSchema = z.strictObject({
  hostname: z.string(),
  machineId: z.string().optional(),
  os: z.strictObject({
    id: z.string(),
    idLike: z.array(z.string()),
    versionId: z.string().optional(),
    prettyName: z.string().optional(),
  }),
  kernel: z.string().optional(),
  arch: z.string().optional(),
  /** live: the running host; offline-root: a mounted filesystem or image (--root); fixture: captured test data. */
  mode: z.enum(['live', 'offline-root', 'fixture']),
  root: z.string(),
  container: z.boolean(),
});
export type HostFacts = z.infer<typeof HostFactsSchema>;

export const PackRefSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  ruleCount: z.number().int().nonnegative(),
});
export type PackRef = z.infer<typeof PackRefSchema>;

export const StatusCountsSchema = z.strictObject({
  total: z.number().int(),
  pass: z.number().int(),
  fail: z.number().int(),
  error: z.number().int(),
  notApplicable: z.number().int(),
});
export type StatusCounts = z.infer<typeof StatusCountsSchema>;

export const ScanSummarySchema = StatusCountsSchema.extend({
  failBySeverity: z.strictObject({ critical: z.number().int(), high: z.number().int(), medium: z.number().int(), low: z.number().int() }),
  /** Severity-weighted share of applicable, observed rules that pass, 0..100 (errors count as not passing). */
  score: z.number().min(0).max(100),
});
export type ScanSummary = z.infer<typeof ScanSummarySchema>;

export const SCAN_REPORT_SCHEMA_ID = 'rampart.scan-report/1';

export const ScanReportSchema = z.strictObject({
  schema: z.literal(SCAN_REPORT_SCHEMA_ID),
  tool: z.strictObject({ name: z.literal('rampart'), version: z.string() }),
  scanId: z.string(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  host: HostFactsSchema,
  packs: z.array(PackRefSchema),
  tailoring: z.strictObject({ id: z.string(), sha256: z.string() }).optional(),
  results: z.array(RuleResultSchema),
  summary: ScanSummarySchema,
  /** Optional inventory (shared/inventory.ts): AI services, versions, bind addresses, model directories. */
  inventory: InventorySchema.optional(),
});
export type ScanReport = z.infer<typeof ScanReportSchema>;

export const SEVERITY_WEIGHT = { critical: 10, high: 5, medium: 3, low: 1 } as const;
