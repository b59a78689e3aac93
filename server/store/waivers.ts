/**
 * @module Waivers: an approved, time-boxed exception for one rule on one host, on a set of hosts
 * or on a whole agency. A waived failure counts as waived (not failed) while the waiver is active
 * and as failed again once it expires or is removed. Every create, change and removal is written
 * to an append-only audit log (who, when, what, before and after).
 */
import { z } from 'zod';
import { RuleIdSchema, SeveritySchema } from '../../shared/rule-pack.js';
import type { Waiver } from '../../shared/evidence/model.js';

export const WaiverScopeSchema = z.enum(['host', 'host-set', 'agency']);
export type WaiverScope = z.infer<typeof WaiverScopeSchema>;

/** Waiver ids are shown and typed as `W-<n>`. */
export const WaiverIdSchema = z.string().regex(/^W-[1-9]\d*$/, 'waiver ids look like W-12');

export const NewWaiverSchema = z
  .strictObject({
    /** Agency name (or numeric id). */
    agency: z.string().min(1),
    ruleId: RuleIdSchema,
    /** Agent ids or hostnames in that agency; none: the whole agency. */
    hosts: z.array(z.string().min(1)).default([]),
    justification: z.string().trim().min(10, 'say why the rule cannot be met (at least 10 characters)'),
    approver: z.string().trim().min(1),
    risk: SeveritySchema,
    startsAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }),
  })
  .refine((w) => Date.parse(w.expiresAt) > Date.parse(w.startsAt), { message: 'the expiry must be after the start', path: ['expiresAt'] });
export type NewWaiver = z.input<typeof NewWaiverSchema>;

export const WaiverPatchSchema = z
  .strictObject({
    justification: z.string().trim().min(10).optional(),
    approver: z.string().trim().min(1).optional(),
    risk: SeveritySchema.optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'nothing to change' });
export type WaiverPatch = z.input<typeof WaiverPatchSchema>;

export type WaiverState = 'active' | 'expired' | 'not-yet-active' | 'removed';

export interface WaiverRecord {
  id: string;
  agencyId: number;
  agencyName: string;
  ruleId: string;
  scope: WaiverScope;
  /** The hosts of a host or host-set waiver (empty for an agency waiver). */
  hosts: Array<{ agentId: string; hostname: string }>;
  justification: string;
  approver: string;
  risk: z.infer<typeof SeveritySchema>;
  startsAt: string;
  expiresAt: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string | null;
  removedAt: string | null;
  removedBy: string | null;
  /** State at the time the record was read (`now` of the query). */
  state: WaiverState;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: 'waiver.create' | 'waiver.update' | 'waiver.remove';
  objectType: 'waiver';
  objectId: string;
  before: unknown;
  after: unknown;
}

export interface WaiverListFilter {
  /** Agency id; all agencies when absent. */
  agencyId?: number;
  /** Also list expired, future and removed waivers. Default: only those active at `now`. */
  all?: boolean;
}

/** The waiver store; SqlWaiverStore (store/waiver-store.ts) implements it on either database. */
export interface WaiverStore {
  addWaiver(input: NewWaiver, actor: string, now: string): Promise<WaiverRecord>;
  updateWaiver(id: string, patch: WaiverPatch, actor: string, now: string): Promise<WaiverRecord>;
  /** Removal is a soft delete: the waiver stops counting at `now`, and stays readable for as-of queries. */
  removeWaiver(id: string, actor: string, now: string, reason?: string): Promise<WaiverRecord>;
  getWaiver(id: string, now: string): Promise<WaiverRecord | null>;
  listWaivers(filter: WaiverListFilter, now: string): Promise<WaiverRecord[]>;
  /**
   * Every waiver that counted at `at` for the agency, per (agent id, rule id), each as it stood at
   * `at` (one changed since is rebuilt from the audit log): the most specific scope wins (host, then
   * host-set, then agency), then the latest expiry. Ready for the evidence model.
   */
  waiversAt(agencyId: number, at: string): Promise<Map<string, Waiver>>;
  auditLog(filter: { objectId?: string; limit?: number }): Promise<AuditEntry[]>;
}

/** The key of waiversAt's map. */
export function waiverKey(agentId: string, ruleId: string): string {
  return `${agentId}\u0000${ruleId}`;
}

/** The agent id and rule id of a waiversAt key. */
export function parseWaiverKey(key: string): { agentId: string; ruleId: string } {
  const i = key.indexOf('\u0000');
  return { agentId: key.slice(0, i), ruleId: key.slice(i + 1) };
}

/** How a waiver stands at instant `at` (times compared as instants, whatever their offsets). */
export function stateAt(w: Pick<WaiverRecord, 'startsAt' | 'expiresAt' | 'removedAt'>, at: string): WaiverState {
  const t = Date.parse(at);
  if (w.removedAt !== null && Date.parse(w.removedAt) <= t) return 'removed';
  if (t < Date.parse(w.startsAt)) return 'not-yet-active';
  return t < Date.parse(w.expiresAt) ? 'active' : 'expired';
}
