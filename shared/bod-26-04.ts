/**
 * @module BOD 26-04 Table 1 as data (validated by DecisionTableSchema) and the pure functions that
 * read it: one CVE's deadline from its four inputs, and a finding's tier over all its CVEs on a host
 * with a given exposure tag. docs/directive-clocks.md explains the inputs, defaults and sources.
 */
import { z } from 'zod';
import { DecisionTableSchema, type DecisionTable } from './directive.js';
import { mergeCveMatches, type CveMatch } from './result.js';

export const BOD_26_04 = 'BOD-26-04';

/**
 * Table 1 of BOD 26-04 "Prioritizing Security Updates Based on Risk" (2026-06-10), transcribed from
 * CERT/CC SSVC `data/csv/cisa/cisa_bod_26_04_1_0_0.csv` (the CISA page shows the table as an image).
 * rules/directives.yaml describes the same tiers in words; a test keeps the two in step.
 */
export const BOD_26_04_TABLE_1: DecisionTable = DecisionTableSchema.parse({
  directive: BOD_26_04,
  source: 'CERT/CC SSVC data/csv/cisa/cisa_bod_26_04_1_0_0.csv (BOD 26-04 Table 1, 16 rows)',
  // For CVEs without SSVC data the directive's defaults are Automatable=no and Technical Impact=total.
  defaults: { automatable: 'no', impact: 'total' },
  tiers: [
    { id: 't3-forensics', days: 3, forensicTriage: true, when: 'KEV and total impact with exposure or automatability: 3 days plus forensic triage' },
    { id: 't3', days: 3, forensicTriage: false, when: 'KEV, exposed, automatable, partial impact; or not KEV, exposed, automatable, total impact' },
    { id: 't14', days: 14, forensicTriage: false, when: 'KEV otherwise; or not KEV, exposed, with automatable partial or non-automatable total impact' },
    { id: 't60', days: 60, forensicTriage: false, when: 'not KEV, exposed, not automatable, partial; or not KEV, internal, automatable' },
    { id: 'next-upgrade', days: null, forensicTriage: false, when: 'not KEV, internal, not automatable: fix at the next system upgrade' },
  ],
  rows: [
    { kev: 'yes', exposed: 'yes', automatable: 'yes', impact: 'total', tier: 't3-forensics' },
    { kev: 'yes', exposed: 'yes', automatable: 'no', impact: 'total', tier: 't3-forensics' },
    { kev: 'yes', exposed: 'no', automatable: 'yes', impact: 'total', tier: 't3-forensics' },
    { kev: 'yes', exposed: 'yes', automatable: 'yes', impact: 'partial', tier: 't3' },
    { kev: 'no', exposed: 'yes', automatable: 'yes', impact: 'total', tier: 't3' },
    { kev: 'yes', exposed: 'yes', automatable: 'no', impact: 'partial', tier: 't14' },
    { kev: 'yes', exposed: 'no', automatable: 'yes', impact: 'partial', tier: 't14' },
    { kev: 'yes', exposed: 'no', automatable: 'no', impact: 'total', tier: 't14' },
    { kev: 'yes', exposed: 'no', automatable: 'no', impact: 'partial', tier: 't14' },
    { kev: 'no', exposed: 'yes', automatable: 'yes', impact: 'partial', tier: 't14' },
    { kev: 'no', exposed: 'yes', automatable: 'no', impact: 'total', tier: 't14' },
    { kev: 'no', exposed: 'yes', automatable: 'no', impact: 'partial', tier: 't60' },
    { kev: 'no', exposed: 'no', automatable: 'yes', impact: 'total', tier: 't60' },
    { kev: 'no', exposed: 'no', automatable: 'yes', impact: 'partial', tier: 't60' },
    { kev: 'no', exposed: 'no', automatable: 'no', impact: 'total', tier: 'next-upgrade' },
    { kev: 'no', exposed: 'no', automatable: 'no', impact: 'partial', tier: 'next-upgrade' },
  ],
});

export const Bod2604TierIdSchema = z.enum(['t3-forensics', 't3', 't14', 't60', 'next-upgrade']);
export type Bod2604TierId = z.infer<typeof Bod2604TierIdSchema>;

/**
 * The administrator's exposure tag of a host (BOD 26-04 asks agencies to tag assets): `internet`
 * (publicly exposed), `internal`, or `unset` (no tag yet; Table 1 then treats the host as exposed).
 */
export const HostExposureSchema = z.enum(['internet', 'internal']);
export type HostExposure = z.infer<typeof HostExposureSchema>;
export const ExposureTagSchema = z.enum(['internet', 'internal', 'unset']);
export type ExposureTag = z.infer<typeof ExposureTagSchema>;

export interface Bod2604Inputs {
  kev: boolean;
  /** The host's tag; `unset` counts as exposed (the conservative reading). */
  exposure: ExposureTag;
  automatable: boolean;
  impact: 'partial' | 'total';
}

export interface Bod2604Deadline {
  tier: Bod2604TierId;
  /** Days from first detection; null = no date, fix at the next system upgrade. */
  days: number | null;
  forensicTriage: boolean;
}

const yn = (b: boolean): 'yes' | 'no' => (b ? 'yes' : 'no');
const ROWS = new Map(BOD_26_04_TABLE_1.rows.map((r) => [`${r.kev}/${r.exposed}/${r.automatable}/${r.impact}`, r.tier]));
const TIERS = new Map(BOD_26_04_TABLE_1.tiers.map((t, i) => [t.id, { ...t, rank: i }]));

/** Table 1 for one CVE on one host. */
export function bod2604Deadline(input: Bod2604Inputs): Bod2604Deadline {
  const exposed = input.exposure !== 'internal';
  const id = ROWS.get(`${yn(input.kev)}/${yn(exposed)}/${yn(input.automatable)}/${input.impact}`);
  const tier = id === undefined ? undefined : TIERS.get(id);
  if (!tier) throw new RangeError(`BOD 26-04 Table 1 has no row for ${JSON.stringify(input)}`);
  return { tier: Bod2604TierIdSchema.parse(tier.id), days: tier.days, forensicTriage: tier.forensicTriage };
}

/** Days of a tier for ordering: null (next upgrade) is the loosest. */
export function tierRank(tier: Bod2604TierId): number {
  return TIERS.get(tier)!.rank;
}

const Cve = z.string().regex(/^CVE-\d{4}-\d{4,19}$/);

/** One CVE's Table 1 inputs as used, which of them were defaulted, and the tier they give. */
export const Bod2604CveSchema = z.strictObject({
  cve: Cve,
  kev: z.boolean(),
  automatable: z.enum(['yes', 'no']),
  impact: z.enum(['partial', 'total']),
  /** Inputs the agent did not supply: kev (no KEV catalog: counted as listed), automatable and impact (the directive's defaults). */
  defaulted: z.array(z.enum(['kev', 'automatable', 'impact'])),
  tier: Bod2604TierIdSchema,
  days: z.number().int().positive().nullable(),
  forensicTriage: z.boolean(),
  kevDueDate: z.iso.date().optional(),
  kevDateAdded: z.iso.date().optional(),
});
export type Bod2604Cve = z.infer<typeof Bod2604CveSchema>;

/** A finding's BOD 26-04 tier: the tightest over its CVEs, with every input shown. */
export const Bod2604DecisionSchema = z.strictObject({
  directive: z.literal(BOD_26_04),
  tier: Bod2604TierIdSchema,
  days: z.number().int().positive().nullable(),
  forensicTriage: z.boolean(),
  /** The host's exposure tag when the tier was computed; `unset` was treated as exposed. */
  exposure: ExposureTagSchema,
  exposed: z.boolean(),
  /** The CVE that sets the tier (the tightest; the first such in CVE order). */
  decidedBy: Cve,
  cves: z.array(Bod2604CveSchema).min(1),
});
export type Bod2604Decision = z.infer<typeof Bod2604DecisionSchema>;

/**
 * The tightest Table 1 tier over a finding's CVEs on a host with this exposure tag (null = unset).
 * KEV unknown (no catalog on the agent) counts as listed; a missing Automatable or Technical Impact
 * takes the directive's default; `defaulted` says which. Returns undefined when there are no CVEs.
 */
export function decideBod2604(cves: readonly CveMatch[], exposure: HostExposure | null): Bod2604Decision | undefined {
  const tag: ExposureTag = exposure ?? 'unset';
  const defaults = BOD_26_04_TABLE_1.defaults;
  const rows: Bod2604Cve[] = mergeCveMatches(cves).map((c) => {
    const defaulted: Bod2604Cve['defaulted'] = [];
    if (c.kev === null) defaulted.push('kev');
    if (c.automatable === undefined) defaulted.push('automatable');
    if (c.technicalImpact === undefined) defaulted.push('impact');
    const automatable = c.automatable ?? defaults.automatable;
    const impact = c.technicalImpact ?? defaults.impact;
    const kev = c.kev ?? true;
    const d = bod2604Deadline({ kev, exposure: tag, automatable: automatable === 'yes', impact });
    return {
      cve: c.cve,
      kev,
      automatable,
      impact,
      defaulted,
      tier: d.tier,
      days: d.days,
      forensicTriage: d.forensicTriage,
      ...(c.kevDueDate ? { kevDueDate: c.kevDueDate } : {}),
      ...(c.kevDateAdded ? { kevDateAdded: c.kevDateAdded } : {}),
    };
  });
  if (rows.length === 0) return undefined;
  const tightest = rows.reduce((best, r) => (tierRank(r.tier) < tierRank(best.tier) ? r : best));
  return {
    directive: BOD_26_04,
    tier: tightest.tier,
    days: tightest.days,
    forensicTriage: tightest.forensicTriage,
    exposure: tag,
    exposed: tag !== 'internal',
    decidedBy: tightest.cve,
    cves: rows,
  };
}

/** How a tier reads in reports: "3 days + forensic triage", "14 days", "next system upgrade". */
export function tierWords(d: Pick<Bod2604Decision, 'days' | 'forensicTriage'>): string {
  const base = d.days === null ? 'next system upgrade' : `${d.days} days`;
  return d.forensicTriage ? `${base} + forensic triage` : base;
}

/** The host's tag in words: `unset` says how Table 1 read it. */
export function exposureWords(tag: ExposureTag): string {
  return tag === 'unset' ? 'unset (treated as internet-exposed)' : tag;
}

/** One CVE's inputs in words, marking what was defaulted: for reports, OSCAL remarks and CSV. */
export function cveInputWords(c: Bod2604Cve): string {
  const kev = c.defaulted.includes('kev') ? 'yes (no KEV catalog on the agent: counted as listed)' : c.kev ? `yes${c.kevDueDate ? ` (KEV due ${c.kevDueDate})` : ''}` : 'no';
  const mark = (input: 'automatable' | 'impact') => (c.defaulted.includes(input) ? ' (directive default)' : '');
  return `${c.cve}: KEV ${kev}, automatable ${c.automatable}${mark('automatable')}, technical impact ${c.impact}${mark('impact')}: ${c.tier}, ${tierWords(c)}`;
}

/** A finding's tier in one line. */
export function decisionWords(d: Bod2604Decision): string {
  return `BOD 26-04 Table 1 tier ${d.tier}: ${tierWords(d)} from first detection; host exposure ${exposureWords(d.exposure)}; set by ${d.decidedBy}`;
}
