/**
 * @module Matchers: how a rule states what it expects of one observed field.
 * A matcher is data (never code). Several operators in one matcher must all hold.
 */
import { z } from 'zod';

export const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof ScalarSchema>;

export interface Matcher {
  eq?: Scalar;
  ne?: Scalar;
  in?: Scalar[];
  notIn?: Scalar[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  /** ECMAScript regular expression tested against the value as a string. */
  match?: string;
  notMatch?: string;
  /** Whether the field has a value at all (not undefined or null). */
  exists?: boolean;
  /** For lists and strings. */
  empty?: boolean;
  /** For lists: the list has this element. */
  contains?: Scalar;
  notContains?: Scalar;
  /** For lists: every element is one of these. */
  subsetOf?: Scalar[];
  /** For lists: every one of these is in the list. */
  containsAll?: Scalar[];
  /** For lists: no element is one of these. */
  disjointFrom?: Scalar[];
  /** For lists: every element matches (a vacuous pass on an empty list, so pair with `empty: false` when needed). */
  every?: Matcher;
  /** For lists: at least one element matches. */
  some?: Matcher;
  /** For lists: no element matches. */
  none?: Matcher;
  /** For lists: the number of elements matches. */
  count?: Matcher;
  /** For objects (list elements): match named fields of the element. */
  fields?: Record<string, Matcher>;
}

export const MatcherSchema: z.ZodType<Matcher> = z.lazy(() =>
  z
    .strictObject({
      eq: ScalarSchema.optional(),
      ne: ScalarSchema.optional(),
      in: z.array(ScalarSchema).optional(),
      notIn: z.array(ScalarSchema).optional(),
      gt: z.number().optional(),
      gte: z.number().optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
      match: z.string().refine(isRegExp, 'not a valid regular expression').optional(),
      notMatch: z.string().refine(isRegExp, 'not a valid regular expression').optional(),
      exists: z.boolean().optional(),
      empty: z.boolean().optional(),
      contains: ScalarSchema.optional(),
      notContains: ScalarSchema.optional(),
      subsetOf: z.array(ScalarSchema).optional(),
      containsAll: z.array(ScalarSchema).optional(),
      disjointFrom: z.array(ScalarSchema).optional(),
      every: MatcherSchema.optional(),
      some: MatcherSchema.optional(),
      none: MatcherSchema.optional(),
      count: MatcherSchema.optional(),
      fields: z.record(z.string(), MatcherSchema).optional(),
    })
    .refine((m) => Object.keys(m).length > 0, 'a matcher needs at least one operator'),
);

/** `expect:` maps observed field names (dot paths allowed) to matchers; all must hold. */
export const ExpectSchema = z
  .record(z.string().min(1), MatcherSchema)
  .refine((e) => Object.keys(e).length > 0, 'expect needs at least one field');
export type Expect = z.infer<typeof ExpectSchema>;

/** True when `source` compiles as an ECMAScript regular expression (rules never carry code, only patterns). */
export function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
