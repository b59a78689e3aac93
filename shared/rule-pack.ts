/**
 * @module Schema of a rule pack (YAML in rules/) and of a tailoring file.
 * Packs are data: a check names a probe type and parameters, never a command line.
 */
import { z } from 'zod';
import { ExpectSchema } from './expectation.js';
import { DirectiveIdSchema } from './directive.js';

export const SeveritySchema = z.enum(['critical', 'high', 'medium', 'low']);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** Lowercase dotted kebab ids, e.g. `linux.ssh.root-login-disabled`. Never reused. */
export const RuleIdSchema = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/, 'rule ids are lowercase dotted kebab-case, e.g. linux.ssh.root-login-disabled');

/** Platforms a rule applies to: `linux` or a distribution family read from /etc/os-release ID / ID_LIKE. */
export const PlatformSchema = z.enum(['linux', 'debian', 'ubuntu', 'rhel', 'fedora', 'suse']);
export type Platform = z.infer<typeof PlatformSchema>;

export const ProbeCheckSchema = z.strictObject({
  probe: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  expect: ExpectSchema,
  /** Optional human words for this leaf, shown in evidence. */
  description: z.string().optional(),
});
export type ProbeCheck = z.infer<typeof ProbeCheckSchema>;

export type Check = ProbeCheck | { all: Check[] } | { any: Check[] } | { none: Check[] };

export const CheckSchema: z.ZodType<Check> = z.lazy(() =>
  z.union([
    ProbeCheckSchema,
    z.strictObject({ all: z.array(CheckSchema).min(1) }),
    z.strictObject({ any: z.array(CheckSchema).min(1) }),
    z.strictObject({ none: z.array(CheckSchema).min(1) }),
  ]),
);

export const ReferencesSchema = z.strictObject({
  directives: z.array(DirectiveIdSchema).default([]),
  nist: z.array(z.string().regex(/^[A-Z]{2}-\d+(\(\d+\))*(\([a-z]\))?$/, 'NIST 800-53 ids look like SC-7 or AC-17(2)')).default([]),
  stig: z.array(z.string().min(1)).default([]),
  cis: z.array(z.string().min(1)).default([]),
  cac: z.array(z.string().regex(/^[a-z0-9_\-]+$/, 'ComplianceAsCode ids are rule directory names')).default([]),
  cve: z.array(z.string().regex(/^CVE-\d{4}-\d{4,}$/)).default([]),
  other: z.array(z.string().min(1)).default([]),
});
export type References = z.infer<typeof ReferencesSchema>;

export const ClockOverrideSchema = z.strictObject({
  /** Which directive's clock applies (default: the shortest window among the rule's directives). */
  directive: DirectiveIdSchema.optional(),
  /** Days to remediate, overriding the directive's window. */
  days: z.number().int().positive().optional(),
  /** Why the rule deviates from the directive's own clock. */
  note: z.string().optional(),
});

export const RuleSchema = z.strictObject({
  id: RuleIdSchema,
  title: z.string().min(1),
  rationale: z.string().min(1),
  severity: SeveritySchema,
  platforms: z.array(PlatformSchema).min(1).default(['linux']),
  references: ReferencesSchema,
  /** When this check does not pass, the rule is not-applicable (e.g. the software is absent). */
  applicability: CheckSchema.optional(),
  check: CheckSchema,
  remediation: z.string().min(1),
  clock: ClockOverrideSchema.optional(),
  /** Host tags that exempt the host from this rule (e.g. `router`, `file-server`), set in tailoring. */
  exceptionTags: z.array(z.string().min(1)).optional(),
  tags: z.array(z.string().min(1)).optional(),
});
export type Rule = z.infer<typeof RuleSchema>;

export const ParameterSchema = z.strictObject({
  description: z.string().min(1),
  type: z.enum(['string', 'number', 'boolean', 'string-list', 'number-list']),
  default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.array(z.number())]),
});
export type Parameter = z.infer<typeof ParameterSchema>;

export const PackIdSchema = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'pack ids are lowercase kebab-case');

export const RulePackSchema = z.strictObject({
  pack: z.strictObject({
    id: PackIdSchema,
    title: z.string().min(1),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'pack versions are semantic versions, e.g. 1.4.0'),
    description: z.string().min(1),
    /** Shown in evidence; who wrote the rules. */
    publisher: z.string().min(1).default('Rampart'),
  }),
  parameters: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), ParameterSchema).default({}),
  rules: z.array(RuleSchema).min(1),
});
export type RulePack = z.infer<typeof RulePackSchema>;

/** An agency's tailoring: parameter values, rules switched off, host tags. Never edits the pack. */
export const TailoringSchema = z.strictObject({
  tailoring: z.strictObject({
    id: z.string().min(1),
    title: z.string().optional(),
    description: z.string().optional(),
  }),
  /** Keyed by pack id, then parameter name. */
  parameters: z.record(z.string(), z.record(z.string(), ParameterSchema.shape.default)).default({}),
  /** Rules to leave out, with the reason (shown in evidence as not-applicable). */
  disable: z.array(z.strictObject({ rule: RuleIdSchema, reason: z.string().min(1) })).default([]),
  /** Change a rule's severity for this agency. */
  severity: z.record(RuleIdSchema, SeveritySchema).default({}),
  /** Tags describing this host's role, matched against a rule's exceptionTags. */
  hostTags: z.array(z.string().min(1)).default([]),
});
export type Tailoring = z.infer<typeof TailoringSchema>;
