/**
 * @module Schema of rules/directives.yaml: each directive (BOD, OMB memo, EO) described once,
 * with the clocks that give findings their due dates and the cadences that assessments must meet.
 */
import { z } from 'zod';

export const DirectiveIdSchema = z.string().regex(/^[A-Z][A-Z0-9]*(-[A-Z0-9.]+)*$/, 'directive ids look like BOD-23-02 or M-21-31');

/** One remediation window of a tiered directive; `days: null` = no date (for example "at the next system upgrade"). */
export const TierSchema = z.strictObject({
  id: z.string().min(1),
  days: z.number().int().positive().nullable(),
  when: z.string().min(1),
  /** The tier also requires forensic triage of the host (BOD 26-04 Table 1). */
  forensicTriage: z.boolean().optional(),
});
export type Tier = z.infer<typeof TierSchema>;

const YesNo = z.enum(['yes', 'no']);
const Impact = z.enum(['partial', 'total']);

/** One row of a decision table: a combination of the four BOD 26-04 inputs and the tier it gives. */
export const DecisionRowSchema = z.strictObject({ kev: YesNo, exposed: YesNo, automatable: YesNo, impact: Impact, tier: z.string().min(1) });
export type DecisionRow = z.infer<typeof DecisionRowSchema>;

/**
 * A directive's decision table (BOD 26-04 Table 1): tiers from the tightest to the loosest, the
 * directive's defaults for inputs a CVE lacks, and one row for every combination of the inputs.
 * Validation refuses a missing or repeated combination and a row naming an unknown tier.
 */
export const DecisionTableSchema = z
  .strictObject({
    directive: DirectiveIdSchema,
    /** Where the rows were transcribed from. */
    source: z.string().min(1),
    /** Values the directive prescribes when a CVE has no SSVC data. */
    defaults: z.strictObject({ automatable: YesNo, impact: Impact }),
    tiers: z.array(TierSchema.extend({ forensicTriage: z.boolean() })).min(1),
    rows: z.array(DecisionRowSchema).length(16),
  })
  .superRefine((t, ctx) => {
    const ids = new Set<string>();
    t.tiers.forEach((tier, i) => {
      if (ids.has(tier.id)) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'id'], message: `duplicate tier id ${tier.id}` });
      ids.add(tier.id);
    });
    const seen = new Set<string>();
    t.rows.forEach((r, i) => {
      const key = `${r.kev}/${r.exposed}/${r.automatable}/${r.impact}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['rows', i], message: `combination kev=${r.kev} exposed=${r.exposed} automatable=${r.automatable} impact=${r.impact} appears twice` });
      seen.add(key);
      if (!ids.has(r.tier)) ctx.addIssue({ code: 'custom', path: ['rows', i, 'tier'], message: `unknown tier ${r.tier}` });
    });
  });
export type DecisionTable = z.infer<typeof DecisionTableSchema>;

export const DirectiveSchema = z.strictObject({
  id: DirectiveIdSchema,
  title: z.string().min(1),
  issuer: z.string().min(1),
  /** Date issued, YYYY-MM-DD. */
  issued: z.iso.date(),
  status: z.enum(['in-force', 'revoked', 'superseded']).default('in-force'),
  supersededBy: z.array(DirectiveIdSchema).optional(),
  url: z.string().url().optional(),
  summary: z.string().optional(),
  /** How many days a host has to fix a failing rule that cites this directive. */
  remediationDays: z.number().int().positive().optional(),
  /** Named tiers for directives whose window depends on the finding (e.g. BOD 26-04 Table 1). */
  tiers: z.array(TierSchema).optional(),
  /** Recurring obligations, e.g. every host assessed at least every 14 days. */
  cadences: z
    .array(z.strictObject({ id: z.string().min(1), everyDays: z.number().positive(), what: z.string().min(1) }))
    .optional(),
  /** Fixed calendar milestones. */
  milestones: z.array(z.strictObject({ id: z.string().min(1), due: z.iso.date(), what: z.string().min(1) })).optional(),
  confidence: z.enum(['verified', 'secondary', 'weak']).optional(),
});
export type Directive = z.infer<typeof DirectiveSchema>;

export const DirectiveCatalogSchema = z.strictObject({
  version: z.number().int().positive(),
  directives: z.array(DirectiveSchema).min(1),
});
export type DirectiveCatalog = z.infer<typeof DirectiveCatalogSchema>;
