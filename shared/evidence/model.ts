/**
 * @module The evidence model: one neutral input for every evidence export (OSCAL, CSV, HTML).
 * A one-host scan (`fromScanReport`) and the collector (per host or per agency) both produce it,
 * so every document is built by the same code. docs/evidence.md describes how it maps to OSCAL.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { SeveritySchema } from '../rule-pack.js';
import { PackRefSchema, RuleResultSchema, type ScanReport } from '../result.js';
import { Bod2604DecisionSchema } from '../bod-26-04.js';

export const EVIDENCE_MODEL_SCHEMA_ID = 'rampart.evidence/1';

/** A waiver that covers one failing rule on one host (the collector resolves host-set and agency scopes to this). */
export const WaiverSchema = z.strictObject({
  id: z.string().min(1),
  justification: z.string().min(1),
  /** Who approved it (a name or e-mail address, as recorded). */
  approver: z.string().min(1),
  /** The residual risk the approver accepted. */
  risk: SeveritySchema,
  start: z.iso.datetime({ offset: true }),
  /** The waiver stops counting at this instant; the failure then counts as failed again by itself. */
  expiry: z.iso.datetime({ offset: true }),
  /** How the waiver was scoped when it was granted (informational). */
  scope: z.enum(['host', 'host-set', 'agency']).optional(),
});
export type Waiver = z.infer<typeof WaiverSchema>;

/** One assessed host: an OSCAL inventory item. */
export const EvidenceHostSchema = z.strictObject({
  /** Stable id of the host (collector host id, else machine-id, else hostname). Unique within the model. */
  id: z.string().min(1),
  /** A UUID already assigned to the host (for example by the collector); else one is derived from `id`. */
  uuid: z.uuid().optional(),
  hostname: z.string().min(1),
  machineId: z.string().optional(),
  os: z.strictObject({
    id: z.string(),
    versionId: z.string().optional(),
    prettyName: z.string().optional(),
  }),
  kernel: z.string().optional(),
  arch: z.string().optional(),
  ipAddresses: z.array(z.string().min(1)).optional(),
  /** live, offline-root or fixture (see HostFacts.mode). */
  mode: z.enum(['live', 'offline-root', 'fixture']).optional(),
  /** The scanned root directory, only meaningful for offline-root scans. */
  root: z.string().optional(),
  container: z.boolean().optional(),
  tags: z.array(z.string().min(1)).optional(),
});
export type EvidenceHost = z.infer<typeof EvidenceHostSchema>;

/** One rule's verdict on one host, with the evidence, when it was collected, and its clock and waiver. */
export const EvidenceResultSchema = RuleResultSchema.extend({
  /** EvidenceHost.id of the host this result belongs to. */
  hostId: z.string().min(1),
  collectedAt: z.iso.datetime({ offset: true }),
  /**
   * When this rule was first seen failing on this host in the current failing streak (collector only).
   * Also on an `error` result whose earlier failure is still open: only a pass or not-applicable closes it.
   */
  firstSeenAt: z.iso.datetime({ offset: true }).optional(),
  /** When the failure must be fixed by (firstSeenAt + clock days; collector only); its clock runs on through errors. */
  dueAt: z.iso.datetime({ offset: true }).optional(),
  /** BOD 26-04 Table 1 tier of the open finding, with its inputs (collector only; docs/directive-clocks.md). */
  bod2604: Bod2604DecisionSchema.optional(),
  waiver: WaiverSchema.optional(),
});
export type EvidenceResult = z.infer<typeof EvidenceResultSchema>;

/** Whether every host was assessed often enough over a period (shared/evidence/clocks.ts cadenceReport). */
export const CadenceSchema = z.strictObject({
  directive: z.string().min(1),
  /** The cadence's id in rules/directives.yaml, e.g. `vulnerability-enumeration`. */
  id: z.string().min(1),
  everyDays: z.number().positive(),
  what: z.string(),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  met: z.boolean(),
  hosts: z.array(
    z.strictObject({
      hostId: z.string().min(1),
      hostname: z.string(),
      met: z.boolean(),
      assessments: z.array(z.iso.datetime({ offset: true })),
      before: z.iso.datetime({ offset: true }).optional(),
      gaps: z.array(z.strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), days: z.number() })),
      longestGapDays: z.number(),
    }),
  ),
});
export type Cadence = z.infer<typeof CadenceSchema>;

export const EvidenceModelSchema = z.strictObject({
  schema: z.literal(EVIDENCE_MODEL_SCHEMA_ID),
  assessment: z.strictObject({
    title: z.string().min(1),
    /** host: one host's scan; agency: every host of one agency; fleet: several agencies. */
    scope: z.enum(['host', 'agency', 'fleet']),
    agency: z.strictObject({ id: z.string().min(1), name: z.string().min(1) }).optional(),
    /** The instant the evidence describes ("as of"): waivers and due dates are judged at this time. */
    generatedAt: z.iso.datetime({ offset: true }),
    /** The assessment window (default: earliest and latest collectedAt). */
    start: z.iso.datetime({ offset: true }).optional(),
    end: z.iso.datetime({ offset: true }).optional(),
    tool: z.strictObject({ name: z.literal('rampart'), version: z.string().min(1) }),
    packs: z.array(PackRefSchema),
    tailoring: z.strictObject({ id: z.string(), sha256: z.string() }).optional(),
  }),
  hosts: z.array(EvidenceHostSchema),
  /** At most one result per host and rule: the latest as of `generatedAt`. */
  results: z.array(EvidenceResultSchema),
  /** Assessment cadences over a period, when the producer knows the scan history (the collector). */
  cadences: z.array(CadenceSchema).optional(),
}).superRefine((model, ctx) => {
  const hostIds = new Set<string>();
  model.hosts.forEach((h, i) => {
    if (hostIds.has(h.id)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'id'], message: `duplicate host id "${h.id}"` });
    hostIds.add(h.id);
  });
  const seen = new Set<string>();
  model.results.forEach((r, i) => {
    if (!hostIds.has(r.hostId)) ctx.addIssue({ code: 'custom', path: ['results', i, 'hostId'], message: `result for unknown host "${r.hostId}"` });
    const key = `${r.hostId}\u0000${r.ruleId}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['results', i], message: `two results for rule ${r.ruleId} on host "${r.hostId}"` });
    seen.add(key);
  });
});
export type EvidenceModel = z.infer<typeof EvidenceModelSchema>;

/** Check an evidence model at an export's boundary; problems become ERR_EVIDENCE_INVALID with every issue listed. */
export function parseEvidenceModel(input: unknown): EvidenceModel {
  const parsed = EvidenceModelSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new AppError('ERR_EVIDENCE_INVALID', `invalid evidence model: ${issues.slice(0, 10).join('; ')}${issues.length > 10 ? ` (and ${issues.length - 10} more)` : ''}`, { details: { issues } });
}

/** The stable id of the host a scan report describes. */
export function hostIdOf(report: Pick<ScanReport, 'host'>): string {
  return report.host.machineId ?? report.host.hostname;
}

/**
 * The evidence model of one `rampart scan`. Every result was collected when the scan finished;
 * a one-host scan does not know when a failure was first seen, so it carries no due dates
 * (the rule's clock is still there: `clockDays`, `clockDirective`).
 */
export function fromScanReport(report: ScanReport): EvidenceModel {
  const hostId = hostIdOf(report);
  const h = report.host;
  const host: EvidenceHost = {
    id: hostId,
    hostname: h.hostname,
    ...(h.machineId ? { machineId: h.machineId } : {}),
    os: { id: h.os.id, ...(h.os.versionId ? { versionId: h.os.versionId } : {}), ...(h.os.prettyName ? { prettyName: h.os.prettyName } : {}) },
    ...(h.kernel ? { kernel: h.kernel } : {}),
    ...(h.arch ? { arch: h.arch } : {}),
    mode: h.mode,
    ...(h.mode === 'offline-root' ? { root: h.root } : {}),
    container: h.container,
  };
  return {
    schema: EVIDENCE_MODEL_SCHEMA_ID,
    assessment: {
      title: `Rampart scan of ${h.hostname}`,
      scope: 'host',
      generatedAt: report.finishedAt,
      start: report.startedAt,
      end: report.finishedAt,
      tool: { name: 'rampart', version: report.tool.version },
      packs: report.packs,
      ...(report.tailoring ? { tailoring: report.tailoring } : {}),
    },
    hosts: [host],
    results: report.results.map((r) => ({ ...r, hostId, collectedAt: report.finishedAt })),
  };
}

/** The same model narrowed to some hosts (a per-host document out of an agency's evidence). */
export function selectHosts(model: EvidenceModel, hostIds: readonly string[], title?: string): EvidenceModel {
  const keep = new Set(hostIds);
  return {
    ...model,
    assessment: { ...model.assessment, ...(title ? { title } : {}), ...(keep.size === 1 ? { scope: 'host' as const } : {}) },
    hosts: model.hosts.filter((h) => keep.has(h.id)),
    results: model.results.filter((r) => keep.has(r.hostId)),
  };
}
