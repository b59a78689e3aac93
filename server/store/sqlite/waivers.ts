/**
 * @module SqliteWaivers: the WaiverStore on the collector's SQLite database. Each change and its
 * audit-log entry are written in one transaction, so the log never misses a change.
 */
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { Waiver } from '../../../shared/evidence/model.js';
import type { Severity } from '../../../shared/rule-pack.js';
import {
  NewWaiverSchema,
  WaiverIdSchema,
  WaiverPatchSchema,
  waiverKey,
  type AuditEntry,
  type NewWaiver,
  type WaiverListFilter,
  type WaiverPatch,
  type WaiverRecord,
  type WaiverScope,
  type WaiverState,
  type WaiverStore,
} from '../waivers.js';

interface WaiverRow {
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

const WAIVER_SELECT = `SELECT w.*, a.name AS agency_name FROM waivers w JOIN agencies a ON a.id = w.agency_id`;

/** How a waiver stands at instant `at` (times compared as instants, whatever their offsets). */
function stateAt(row: Pick<WaiverRow, 'starts_at' | 'expires_at' | 'removed_at' | 'created_at'>, at: string): WaiverState {
  const t = Date.parse(at);
  if (row.removed_at !== null && Date.parse(row.removed_at) <= t) return 'removed';
  if (t < Date.parse(row.starts_at)) return 'not-yet-active';
  return t < Date.parse(row.expires_at) ? 'active' : 'expired';
}

function parseId(id: string): number {
  const ok = WaiverIdSchema.safeParse(id);
  if (!ok.success) throw new AppError('ERR_WAIVER_NOT_FOUND', `"${id}" is not a waiver id (they look like W-12)`);
  return Number(id.slice(2));
}

function invalid(issues: Array<{ path: PropertyKey[]; message: string }>): AppError {
  return new AppError('ERR_WAIVER_INVALID', issues.map((i) => `${i.path.map(String).join('.') || 'waiver'}: ${i.message}`).join('; '));
}

export class SqliteWaivers implements WaiverStore {
  constructor(private readonly db: Database) {}

  private hostsOf(waiverId: number): Array<{ agentId: string; hostname: string }> {
    return (
      this.db
        .prepare('SELECT h.agent_id AS agentId, g.hostname FROM waiver_hosts h JOIN agents g ON g.id = h.agent_id WHERE h.waiver_id = ? ORDER BY g.hostname, h.agent_id')
        .all(waiverId) as Array<{ agentId: string; hostname: string }>
    );
  }

  private toRecord(row: WaiverRow, now: string): WaiverRecord {
    return {
      id: `W-${row.id}`,
      agencyId: row.agency_id,
      agencyName: row.agency_name,
      ruleId: row.rule_id,
      scope: row.scope,
      hosts: this.hostsOf(row.id),
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
      state: stateAt(row, now),
    };
  }

  private row(id: number): WaiverRow | undefined {
    return this.db.prepare(`${WAIVER_SELECT} WHERE w.id = ?`).get(id) as WaiverRow | undefined;
  }

  private audit(entry: { at: string; actor: string; action: AuditEntry['action']; objectId: string; before: unknown; after: unknown }): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, object_type, object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.action, 'waiver', entry.objectId, entry.before === null ? null : JSON.stringify(entry.before), entry.after === null ? null : JSON.stringify(entry.after));
  }

  /** The record as the audit log stores it (without the query-time state). */
  private snapshot(id: number, now: string): Omit<WaiverRecord, 'state'> {
    const { state: _state, ...rest } = this.toRecord(this.row(id)!, now);
    return rest;
  }

  async addWaiver(input: NewWaiver, actor: string, now: string): Promise<WaiverRecord> {
    const parsed = NewWaiverSchema.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const w = parsed.data;
    const agency = (this.db.prepare('SELECT id, name FROM agencies WHERE name = ?').get(w.agency) ??
      (/^\d+$/.test(w.agency) ? this.db.prepare('SELECT id, name FROM agencies WHERE id = ?').get(Number(w.agency)) : undefined)) as { id: number; name: string } | undefined;
    if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${w.agency}" does not exist`);
    const agentIds = [...new Set(w.hosts.map((ref) => this.resolveHost(agency.id, agency.name, ref)))];
    const scope: WaiverScope = agentIds.length === 0 ? 'agency' : agentIds.length === 1 ? 'host' : 'host-set';
    const id = this.db.transaction(() => {
      const info = this.db
        .prepare(
          'INSERT INTO waivers (agency_id, rule_id, scope, justification, approver, risk, starts_at, expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(agency.id, w.ruleId, scope, w.justification, w.approver, w.risk, w.startsAt, w.expiresAt, now, actor);
      const waiverId = Number(info.lastInsertRowid);
      const addHost = this.db.prepare('INSERT INTO waiver_hosts (waiver_id, agent_id) VALUES (?, ?)');
      for (const agentId of agentIds) addHost.run(waiverId, agentId);
      this.audit({ at: now, actor, action: 'waiver.create', objectId: `W-${waiverId}`, before: null, after: this.snapshot(waiverId, now) });
      return waiverId;
    }).immediate();
    return this.toRecord(this.row(id)!, now);
  }

  /** An agent id or hostname of a non-revoked host of the agency. */
  private resolveHost(agencyId: number, agencyName: string, ref: string): string {
    const byId = this.db.prepare('SELECT id, agency_id FROM agents WHERE id = ?').get(ref) as { id: string; agency_id: number } | undefined;
    if (byId) {
      if (byId.agency_id !== agencyId) throw new AppError('ERR_WAIVER_INVALID', `host ${ref} does not belong to agency "${agencyName}"`);
      return byId.id;
    }
    const byName = this.db
      .prepare('SELECT id FROM agents WHERE hostname = ? AND agency_id = ? AND revoked_at IS NULL ORDER BY enrolled_at DESC LIMIT 1')
      .get(ref, agencyId) as { id: string } | undefined;
    if (!byName) throw new AppError('ERR_WAIVER_INVALID', `no host "${ref}" in agency "${agencyName}"`);
    return byName.id;
  }

  async updateWaiver(id: string, patch: WaiverPatch, actor: string, now: string): Promise<WaiverRecord> {
    const n = parseId(id);
    const parsed = WaiverPatchSchema.safeParse(patch);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const p = parsed.data;
    this.db.transaction(() => {
      const row = this.row(n);
      if (!row) throw new AppError('ERR_WAIVER_NOT_FOUND', `no waiver ${id}`);
      if (row.removed_at !== null) throw new AppError('ERR_WAIVER_INVALID', `waiver ${id} was removed at ${row.removed_at}; add a new one instead`);
      if (p.expiresAt !== undefined && Date.parse(p.expiresAt) <= Date.parse(row.starts_at)) {
        throw new AppError('ERR_WAIVER_INVALID', `expiresAt: the expiry must be after the start (${row.starts_at})`);
      }
      const before = this.snapshot(n, now);
      this.db
        .prepare(
          'UPDATE waivers SET justification = COALESCE(?, justification), approver = COALESCE(?, approver), risk = COALESCE(?, risk), expires_at = COALESCE(?, expires_at), updated_at = ? WHERE id = ?',
        )
        .run(p.justification ?? null, p.approver ?? null, p.risk ?? null, p.expiresAt ?? null, now, n);
      this.audit({ at: now, actor, action: 'waiver.update', objectId: id, before, after: this.snapshot(n, now) });
    }).immediate();
    return this.toRecord(this.row(n)!, now);
  }

  async removeWaiver(id: string, actor: string, now: string, reason?: string): Promise<WaiverRecord> {
    const n = parseId(id);
    this.db.transaction(() => {
      const row = this.row(n);
      if (!row) throw new AppError('ERR_WAIVER_NOT_FOUND', `no waiver ${id}`);
      if (row.removed_at !== null) throw new AppError('ERR_WAIVER_INVALID', `waiver ${id} was already removed at ${row.removed_at}`);
      const before = this.snapshot(n, now);
      this.db.prepare('UPDATE waivers SET removed_at = ?, removed_by = ? WHERE id = ?').run(now, actor, n);
      this.audit({ at: now, actor, action: 'waiver.remove', objectId: id, before, after: { ...this.snapshot(n, now), ...(reason ? { reason } : {}) } });
    }).immediate();
    return this.toRecord(this.row(n)!, now);
  }

  async getWaiver(id: string, now: string): Promise<WaiverRecord | null> {
    const row = this.row(parseId(id));
    return row ? this.toRecord(row, now) : null;
  }

  async listWaivers(filter: WaiverListFilter, now: string): Promise<WaiverRecord[]> {
    const rows = (
      filter.agencyId === undefined
        ? this.db.prepare(`${WAIVER_SELECT} ORDER BY w.id`).all()
        : this.db.prepare(`${WAIVER_SELECT} WHERE w.agency_id = ? ORDER BY w.id`).all(filter.agencyId)
    ) as WaiverRow[];
    return rows.map((r) => this.toRecord(r, now)).filter((r) => filter.all || r.state === 'active');
  }

  async waiversAt(agencyId: number, at: string): Promise<Map<string, Waiver>> {
    // Candidates: created by then, not removed by then; the time window is checked in stateAt.
    const rows = (this.db.prepare(`${WAIVER_SELECT} WHERE w.agency_id = ? ORDER BY w.id`).all(agencyId) as WaiverRow[]).filter(
      (r) => Date.parse(r.created_at) <= Date.parse(at) && stateAt(r, at) === 'active',
    );
    const agencyAgents = (this.db.prepare('SELECT id FROM agents WHERE agency_id = ? ORDER BY id').all(agencyId) as Array<{ id: string }>).map((a) => a.id);
    const specificity: Record<WaiverScope, number> = { host: 3, 'host-set': 2, agency: 1 };
    const best = new Map<string, { row: WaiverRow; waiver: Waiver }>();
    for (const row of rows) {
      const agents = row.scope === 'agency' ? agencyAgents : this.hostsOf(row.id).map((h) => h.agentId);
      const waiver: Waiver = {
        id: `W-${row.id}`,
        justification: row.justification,
        approver: row.approver,
        risk: row.risk,
        start: row.starts_at,
        expiry: row.expires_at,
        scope: row.scope,
      };
      for (const agentId of agents) {
        const key = waiverKey(agentId, row.rule_id);
        const cur = best.get(key);
        const better =
          !cur ||
          specificity[row.scope] > specificity[cur.row.scope] ||
          (specificity[row.scope] === specificity[cur.row.scope] && Date.parse(row.expires_at) > Date.parse(cur.row.expires_at));
        if (better) best.set(key, { row, waiver });
      }
    }
    return new Map([...best].map(([k, v]) => [k, v.waiver]));
  }

  async auditLog(filter: { objectId?: string; limit?: number }): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(filter.limit ?? 1000, 1), 100_000);
    const rows = (
      filter.objectId === undefined
        ? this.db.prepare('SELECT * FROM audit_log ORDER BY id LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM audit_log WHERE object_id = ? ORDER BY id LIMIT ?').all(filter.objectId, limit)
    ) as Array<{ id: number; at: string; actor: string; action: AuditEntry['action']; object_id: string; before_json: string | null; after_json: string | null }>;
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
