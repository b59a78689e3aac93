/**
 * @module Schema of rules/directives.yaml: each directive (BOD, OMB memo, EO) described once,
 * with the clocks that give findings their due dates and the cadences that assessments must meet.
 */
import { z } from 'zod';

export const DirectiveIdSchema = z.string().regex(/^[A-Z][A-Z0-9]*(-[A-Z0-9.]+)*$/, 'directive ids look like BOD-23-02 or M-21-31');

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
  tiers: z
    .array(z.strictObject({ id: z.string().min(1), days: z.number().int().positive().nullable(), when: z.string().min(1) }))
    .optional(),
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
