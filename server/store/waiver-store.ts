/**
 * @module SqlWaiverStore: the WaiverStore (store/waivers.ts) on either database. Validation, host
 * resolution, records, listings, the audit log and the waivers that count at an instant are read
 * through a SqlReader; each change and its audit entry are written by the dialect's WaiverWriter in
 * one transaction (store/sqlite/waiver-writer.ts, store/postgres/pg-waiver-writer.ts), so the log
 * never misses a change.
 */
import { AppError } from '../../shared/errors.js';
import type { Waiver } from '../../shared/evidence/model.js';
import type { Severity } from '../../shared/rule-pack.js';
import { agencyByRef, chunked, placeholders, type SqlReader } from './sql-reader.js';
import { waiversAsOf } from './waivers-as-of.js';
import {
  NewWaiverSchema,
  WaiverIdSchema,
  WaiverPatchSchema,
  type AuditEntry,
  type NewWaiver,
  type WaiverListFilter,
  type WaiverPatch,
  type WaiverRecord,
  type WaiverScope,
  type WaiverStore,
  stateAt,
} from './waivers.js';

export interface WaiverRow {
  id: number;
  agency_id: number;
  agency_name: string;
  rule_id: string;
  scope: WaiverScope;
  justification: string;
  approver: string;
  risk: Severity;
  starts_at: string;
  expires_at: string;
  created_at: string;
  created_by: string;
  updated_at: string | null;
  removed_at: string | null;
  removed_by: string | null;
}

/** One audit_log row to write beside a change. */
export interface AuditInsert {
  at: string;
  actor: string;
  action: AuditEntry['action'];
  objectId: string;
  before: unknown;
  after: unknown;
}

type Host = { agentId: string; hostname: string };

/** The writes of waiver changes, each in one transaction with its audit entry. */
export interface WaiverWriter {
  /** Insert the waiver and its hosts, then the audit entry made from the new id; returns the id. */
  insert(row: Omit<WaiverRow, 'id' | 'agency_name'>, agentIds: readonly string[], audit: (id: number) => AuditInsert): Promise<number>;
  /** With the row read and locked: `next` returns the changed row (or throws); store it and `audit(before, after)`. */
  change(id: number, next: (row: WaiverRow | undefined) => WaiverRow, audit: (before: WaiverRow, after: WaiverRow) => AuditInsert): Promise<void>;
}

const WAIVER_SELECT = 'SELECT w.*, a.name AS agency_name FROM waivers w JOIN agencies a ON a.id = w.agency_id';

/** The statements both writers run (the neutral SQL of store/sql-reader.ts). */
export const WAIVER_SQL = {
  selectOne: `${WAIVER_SELECT} WHERE w.id = ?`,
  insert:
    'INSERT INTO waivers (agency_id, rule_id, scope, justification, approver, risk, starts_at, expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
  insertHost: 'INSERT INTO waiver_hosts (waiver_id, agent_id) VALUES (?, ?)',
  update: 'UPDATE waivers SET justification = ?, approver = ?, risk = ?, expires_at = ?, updated_at = ?, removed_at = ?, removed_by = ? WHERE id = ?',
  audit: "INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES (?, ?, ?, 'waiver', ?, ?, ?)",
} as const;

export function insertArgs(r: Omit<WaiverRow, 'id' | 'agency_name'>): unknown[] {
  return [r.agency_id, r.rule_id, r.scope, r.justification, r.approver, r.risk, r.starts_at, r.expires_at, r.created_at, r.created_by];
}

export function updateArgs(r: WaiverRow): unknown[] {
  return [r.justification, r.approver, r.risk, r.expires_at, r.updated_at, r.removed_at, r.removed_by, r.id];
}

export function auditArgs(e: AuditInsert): unknown[] {
  return [e.at, e.actor, e.action, e.objectId, e.before === null ? null : JSON.stringify(e.before), e.after === null ? null : JSON.stringify(e.after)];
}

function parseId(id: string): number {
  const ok = WaiverIdSchema.safeParse(id);
  if (!ok.success) throw new AppError('ERR_WAIVER_NOT_FOUND', `"${id}" is not a waiver id (they look like W-12)`);
  return Number(id.slice(2));
}

function invalid(issues: Array<{ path: PropertyKey[]; message: string }>): AppError {
  return new AppError('ERR_WAIVER_INVALID', issues.map((i) => `${i.path.map(String).join('.') || 'waiver'}: ${i.message}`).join('; '));
}

/** The record as the audit log stores it (no query-time state). */
function snapshot(row: WaiverRow, hosts: Host[]): Omit<WaiverRecord, 'state'> {
  return {
    id: `W-${row.id}`,
    agencyId: row.agency_id,
    agencyName: row.agency_name,
    ruleId: row.rule_id,
    scope: row.scope,
    hosts,
    justification: row.justification,
    approver: row.approver,
    risk: row.risk,
    startsAt: row.starts_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    removedAt: row.removed_at,
    removedBy: row.removed_by,
  };
}

function toRecord(row: WaiverRow, hosts: Host[], now: string): WaiverRecord {
  const s = snapshot(row, hosts);
  return { ...s, state: stateAt(s, now) };
}

export class SqlWaiverStore implements WaiverStore {
  constructor(
    private readonly reader: SqlReader,
    private readonly writer: WaiverWriter,
  ) {}

  /** The hosts of each waiver, by hostname then agent id. */
  private async hostsOf(ids: readonly number[]): Promise<Map<number, Host[]>> {
    const out = new Map<number, Host[]>(ids.map((id) => [id, []]));
    for (const part of chunked(ids)) {
      const rows = await this.reader.all<{ waiver_id: number; agent_id: string; hostname: string }>(
        `SELECT h.waiver_id, h.agent_id, g.hostname FROM waiver_hosts h JOIN agents g ON g.id = h.agent_id WHERE h.waiver_id IN (${placeholders(part.length)}) ORDER BY g.hostname, h.agent_id`,
        part,
      );
      for (const r of rows) out.get(r.waiver_id)!.push({ agentId: r.agent_id, hostname: r.hostname });
    }
    return out;
  }

  private async records(rows: WaiverRow[], now: string): Promise<WaiverRecord[]> {
    const hosts = await this.hostsOf(rows.map((r) => r.id));
    return rows.map((r) => toRecord(r, hosts.get(r.id)!, now));
  }

  private async record(id: number, now: string): Promise<WaiverRecord> {
    const row = await this.reader.get<WaiverRow>(WAIVER_SQL.selectOne, [id]);
    return (await this.records([row!], now))[0]!;
  }

  async addWaiver(input: NewWaiver, actor: string, now: string): Promise<WaiverRecord> {
    const parsed = NewWaiverSchema.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const w = parsed.data;
    const agency = await agencyByRef(this.reader, w.agency);
    if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${w.agency}" does not exist`);
    const hosts: Host[] = [];
    for (const ref of w.hosts) {
      const host = await this.resolveHost(agency, ref);
      if (!hosts.some((h) => h.agentId === host.agentId)) hosts.push(host);
    }
    hosts.sort((x, y) => (x.hostname < y.hostname ? -1 : x.hostname > y.hostname ? 1 : x.agentId < y.agentId ? -1 : 1));
    const scope: WaiverScope = hosts.length === 0 ? 'agency' : hosts.length === 1 ? 'host' : 'host-set';
    const row = {
      agency_id: agency.id,
      rule_id: w.ruleId,
      scope,
      justification: w.justification,
      approver: w.approver,
      risk: w.risk,
      starts_at: w.startsAt,
      expires_at: w.expiresAt,
      created_at: now,
      created_by: actor,
      updated_at: null,
      removed_at: null,
      removed_by: null,
    };
    const id = await this.writer.insert(
      row,
      hosts.map((h) => h.agentId),
      (newId) => ({ at: now, actor, action: 'waiver.create', objectId: `W-${newId}`, before: null, after: snapshot({ ...row, id: newId, agency_name: agency.name }, hosts) }),
    );
    return this.record(id, now);
  }

  /** An agent id or hostname of a non-revoked host of the agency. */
  private async resolveHost(agency: { id: number; name: string }, ref: string): Promise<Host> {
    const byId = await this.reader.get<{ id: string; agency_id: number; hostname: string }>('SELECT id, agency_id, hostname FROM agents WHERE id = ?', [ref]);
    if (byId) {
      if (byId.agency_id !== agency.id) throw new AppError('ERR_WAIVER_INVALID', `host ${ref} does not belong to agency "${agency.name}"`);
      return { agentId: byId.id, hostname: byId.hostname };
    }
    const byName = await this.reader.get<{ id: string; hostname: string }>(
      'SELECT id, hostname FROM agents WHERE hostname = ? AND agency_id = ? AND revoked_at IS NULL ORDER BY enrolled_at DESC LIMIT 1',
      [ref, agency.id],
    );
    if (!byName) throw new AppError('ERR_WAIVER_INVALID', `no host "${ref}" in agency "${agency.name}"`);
    return { agentId: byName.id, hostname: byName.hostname };
  }

  /** Change a waiver that exists and was not removed: `next` makes the new row, the audit entry records both. */
  private async change(id: string, actor: string, now: string, action: 'waiver.update' | 'waiver.remove', next: (row: WaiverRow) => WaiverRow, extra: object = {}): Promise<WaiverRecord> {
    const n = parseId(id);
    const hosts = (await this.hostsOf([n])).get(n)!;
    await this.writer.change(
      n,
      (row) => {
        if (!row) throw new AppError('ERR_WAIVER_NOT_FOUND', `no waiver ${id}`);
        if (row.removed_at !== null) {
          throw new AppError('ERR_WAIVER_INVALID', action === 'waiver.remove' ? `waiver ${id} was already removed at ${row.removed_at}` : `waiver ${id} was removed at ${row.removed_at}; add a new one instead`);
        }
        return next(row);
      },
      (before, after) => ({ at: now, actor, action, objectId: id, before: snapshot(before, hosts), after: { ...snapshot(after, hosts), ...extra } }),
    );
    return this.record(n, now);
  }

  async updateWaiver(id: string, patch: WaiverPatch, actor: string, now: string): Promise<WaiverRecord> {
    parseId(id);
    const parsed = WaiverPatchSchema.safeParse(patch);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const p = parsed.data;
    return this.change(id, actor, now, 'waiver.update', (row) => {
      if (p.expiresAt !== undefined && Date.parse(p.expiresAt) <= Date.parse(row.starts_at)) {
        throw new AppError('ERR_WAIVER_INVALID', `expiresAt: the expiry must be after the start (${row.starts_at})`);
      }
      return {
        ...row,
        justification: p.justification ?? row.justification,
        approver: p.approver ?? row.approver,
        risk: p.risk ?? row.risk,
        expires_at: p.expiresAt ?? row.expires_at,
        updated_at: now,
      };
    });
  }

  async removeWaiver(id: string, actor: string, now: string, reason?: string): Promise<WaiverRecord> {
    return this.change(id, actor, now, 'waiver.remove', (row) => ({ ...row, removed_at: now, removed_by: actor }), reason ? { reason } : {});
  }

  async getWaiver(id: string, now: string): Promise<WaiverRecord | null> {
    const row = await this.reader.get<WaiverRow>(WAIVER_SQL.selectOne, [parseId(id)]);
    return row ? (await this.records([row], now))[0]! : null;
  }

  async listWaivers(filter: WaiverListFilter, now: string): Promise<WaiverRecord[]> {
    const rows =
      filter.agencyId === undefined
        ? await this.reader.all<WaiverRow>(`${WAIVER_SELECT} ORDER BY w.id`)
        : await this.reader.all<WaiverRow>(`${WAIVER_SELECT} WHERE w.agency_id = ? ORDER BY w.id`, [filter.agencyId]);
    return (await this.records(rows, now)).filter((r) => filter.all || r.state === 'active');
  }

  async waiversAt(agencyId: number, at: string): Promise<Map<string, Waiver>> {
    return waiversAsOf(this.reader, agencyId, at);
  }

  async auditLog(filter: { objectId?: string; limit?: number }): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(filter.limit ?? 1000, 1), 100_000);
    const where = filter.objectId === undefined ? '' : ' AND object_id = ?';
    const rows = await this.reader.all<{ id: number; at: string; actor: string; action: AuditEntry['action']; object_id: string; before_json: string | null; after_json: string | null }>(
      `SELECT id, at, actor, action, object_id, before_json, after_json FROM audit_log WHERE object_type = 'waiver'${where} ORDER BY id LIMIT ?`,
      filter.objectId === undefined ? [limit] : [filter.objectId, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      objectType: 'waiver',
      objectId: r.object_id,
      before: r.before_json === null ? null : JSON.parse(r.before_json),
      after: r.after_json === null ? null : JSON.parse(r.after_json),
    }));
  }
}
