/**
 * @module The SQLite ingest transaction: records each (agent, seq) once, upserts current state,
 * writes a history row only on a status change, opens and resolves findings, and maintains the
 * per-agency and per-host counters that posture reads, all in one transaction per batch.
 */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { DigestFrame, ResultItem, ResultsFrame } from '../../../shared/protocol.js';
import { stateDigest } from '../../../shared/state-digest.js';
import { AppError } from '../../../shared/errors.js';
import type { IngestFrame, IngestOutcome } from '../store.js';
import { addDays } from '../../../shared/evidence/clocks.js';
import { usesTable1 } from '../finding-clock.js';
import { SqliteFindingTiers } from './finding-tiers.js';

const STATUS_INDEX: Record<string, number> = { pass: 0, fail: 1, error: 2, 'not-applicable': 3 };

interface RuleMeta {
  key: number;
  packId: string;
  title: string;
  severity: string;
  clockDays: number | undefined;
  clockDirective: string | undefined;
  directives: string[];
}

function sameMeta(m: RuleMeta, r: ResultItem): boolean {
  const d = r.references.directives;
  if (m.packId !== r.packId || m.title !== r.title || m.severity !== r.severity || m.clockDays !== r.clockDays || m.clockDirective !== r.clockDirective) return false;
  if (m.directives.length !== d.length) return false;
  for (let i = 0; i < d.length; i++) if (m.directives[i] !== d[i]) return false;
  return true;
}

interface AgentDelta {
  maxSeq: number;
  seqs: number;
  lastScanAt: string | null;
  lastScanId: string | null;
  counts: [number, number, number, number];
}

interface CurrentRow {
  status: string;
  seq: number;
}

/** Prepared statements and small caches for the ingest hot path (one per database connection). */
export class SqliteIngest {
  private readonly rules = new Map<string, RuleMeta>();
  private readonly agentKeys = new Map<string, number>();
  private readonly s: Record<string, Statement>;
  private readonly runBatch: Transaction<(frames: IngestFrame[]) => IngestOutcome[]>;
  private readonly tiers: SqliteFindingTiers;

  constructor(private readonly db: Database) {
    this.tiers = new SqliteFindingTiers(db);
    this.s = {
      agentKey: db.prepare('SELECT key FROM agents WHERE id = ?'),
      insertSeq: db.prepare('INSERT OR IGNORE INTO received_seqs (agent_key, seq, kind, received_at) VALUES (?, ?, ?, ?)'),
      ruleByid: db.prepare('SELECT key FROM rules WHERE id = ?'),
      insertRule: db.prepare(
        'INSERT INTO rules (id, pack_id, title, severity, clock_days, clock_directive, directives, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(id) DO UPDATE SET pack_id = excluded.pack_id, title = excluded.title, severity = excluded.severity, clock_days = excluded.clock_days, ' +
          'clock_directive = excluded.clock_directive, directives = excluded.directives, updated_at = excluded.updated_at RETURNING key',
      ),
      clearRuleDirectives: db.prepare('DELETE FROM rule_directives WHERE rule_key = ?'),
      insertRuleDirective: db.prepare('INSERT OR IGNORE INTO rule_directives (directive, rule_key) VALUES (?, ?)'),
      current: db.prepare('SELECT status, seq FROM results WHERE agent_key = ? AND rule_key = ?'),
      upsert: db.prepare(
        'INSERT INTO results (agent_key, rule_key, status, prev_status, seq, scan_id, scanned_at, changed_at, body) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(agent_key, rule_key) DO UPDATE SET prev_status = status, status = excluded.status, seq = excluded.seq, scan_id = excluded.scan_id, ' +
          'scanned_at = excluded.scanned_at, changed_at = CASE WHEN status = excluded.status THEN changed_at ELSE excluded.changed_at END, body = excluded.body ' +
          'WHERE excluded.seq >= results.seq RETURNING prev_status AS prev, status',
      ),
      deleteResult: db.prepare('DELETE FROM results WHERE agent_key = ? AND rule_key = ?'),
      staleResults: db.prepare('SELECT rule_key AS ruleKey, status FROM results WHERE agent_key = ? AND scan_id != ? AND seq < ?'),
      history: db.prepare('INSERT INTO status_history (agent_key, rule_key, from_status, to_status, at, seq) VALUES (?, ?, ?, ?, ?, ?)'),
      scanSeen: db.prepare('INSERT OR IGNORE INTO host_scans (agent_key, scan_id, scanned_at) VALUES (?, ?, ?)'),
      openFinding: db.prepare(
        'INSERT OR IGNORE INTO findings (agency_id, agent_key, rule_key, first_seen_at, due_at, directive) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      resolveFinding: db.prepare('UPDATE findings SET resolved_at = ? WHERE agent_key = ? AND rule_key = ? AND resolved_at IS NULL'),
      agencyCounts: db.prepare(
        'INSERT INTO agency_rule_counts (agency_id, rule_key, n_pass, n_fail, n_error, n_na) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(agency_id, rule_key) DO UPDATE SET n_pass = n_pass + excluded.n_pass, n_fail = n_fail + excluded.n_fail, ' +
          'n_error = n_error + excluded.n_error, n_na = n_na + excluded.n_na',
      ),
      agentUpdate: db.prepare(
        'UPDATE agents SET max_seq = MAX(max_seq, ?), seq_count = seq_count + ?, last_scan_at = COALESCE(?, last_scan_at), ' +
          'last_scan_id = COALESCE(?, last_scan_id), n_pass = n_pass + ?, n_fail = n_fail + ?, n_error = n_error + ?, n_na = n_na + ? WHERE key = ?',
      ),
      stateOf: db.prepare('SELECT ru.id AS ruleId, r.status AS status FROM results r JOIN rules ru ON ru.key = r.rule_key WHERE r.agent_key = ?'),
    };
    this.runBatch = db.transaction((frames: IngestFrame[]) => this.applyBatch(frames));
  }

  /** Store a batch in one transaction. Throws AppError ERR_STORE_BUSY / ERR_STORE_WRITE; nothing is kept then. */
  ingest(frames: IngestFrame[]): IngestOutcome[] {
    try {
      return this.runBatch.immediate(frames);
    } catch (err) {
      // A rolled-back transaction may have cached rule keys that no longer exist.
      this.rules.clear();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new AppError('ERR_STORE_BUSY', (err as Error).message, { cause: err });
      throw new AppError('ERR_STORE_WRITE', (err as Error).message, { cause: err });
    }
  }

  forgetAgent(agentId: string): void {
    this.agentKeys.delete(agentId);
  }

  private applyBatch(frames: IngestFrame[]): IngestOutcome[] {
    const agencyDeltas = new Map<string, { agencyId: number; ruleKey: number; d: [number, number, number, number] }>();
    const agentDeltas = new Map<number, AgentDelta>();
    const outcomes: IngestOutcome[] = [];
    for (const item of frames) {
      const agentKey = this.agentKeyOf(item.agentId);
      const { frame } = item;
      const inserted = this.s.insertSeq!.run(agentKey, frame.seq, frame.type, item.receivedAt).changes === 1;
      if (!inserted) {
        outcomes.push({ status: 'duplicate' });
        continue;
      }
      let ad = agentDeltas.get(agentKey);
      if (!ad) {
        ad = { maxSeq: 0, seqs: 0, lastScanAt: null, lastScanId: null, counts: [0, 0, 0, 0] };
        agentDeltas.set(agentKey, ad);
      }
      ad.maxSeq = Math.max(ad.maxSeq, frame.seq);
      ad.seqs += 1;
      if (frame.type === 'results') {
        const scannedAt = new Date(frame.scannedAt).toISOString();
        const changes: NonNullable<IngestOutcome['changes']> = [];
        this.applyResults(item.agencyId, agentKey, frame, scannedAt, ad, agencyDeltas, changes);
        this.s.scanSeen!.run(agentKey, frame.scanId, scannedAt);
        if (ad.lastScanAt === null || scannedAt > ad.lastScanAt) {
          ad.lastScanAt = scannedAt;
          ad.lastScanId = frame.scanId;
        }
        outcomes.push({ status: 'stored', changes });
      } else {
        outcomes.push({ status: 'stored', digestMismatch: this.digestMismatch(agentKey, frame) });
      }
    }
    for (const { agencyId, ruleKey, d } of agencyDeltas.values()) {
      if (d[0] !== 0 || d[1] !== 0 || d[2] !== 0 || d[3] !== 0) this.s.agencyCounts!.run(agencyId, ruleKey, d[0], d[1], d[2], d[3]);
    }
    for (const [key, ad] of agentDeltas) {
      const c = ad.counts;
      this.s.agentUpdate!.run(ad.maxSeq, ad.seqs, ad.lastScanAt, ad.lastScanId, c[0], c[1], c[2], c[3], key);
    }
    return outcomes;
  }

  private applyResults(
    agencyId: number,
    agentKey: number,
    frame: ResultsFrame,
    scannedAt: string,
    ad: AgentDelta,
    agencyDeltas: Map<string, { agencyId: number; ruleKey: number; d: [number, number, number, number] }>,
    changes: NonNullable<IngestOutcome['changes']> = [],
  ): void {
    const count = (ruleKey: number, status: string, delta: number): void => {
      const idx = STATUS_INDEX[status];
      if (idx === undefined) return;
      const k = `${agencyId}:${ruleKey}`;
      let e = agencyDeltas.get(k);
      if (!e) {
        e = { agencyId, ruleKey, d: [0, 0, 0, 0] };
        agencyDeltas.set(k, e);
      }
      e.d[idx]! += delta;
      ad.counts[idx]! += delta;
    };
    const s = this.s;
    for (const r of frame.results) {
      const ruleKey = this.ruleKeyOf(r, scannedAt);
      // One statement per result: insert or update (never with an older seq), returning the
      // status before and after. No row back = an older frame arriving late; nothing changes.
      const row = s.upsert!.get(agentKey, ruleKey, r.status, frame.seq, frame.scanId, scannedAt, scannedAt, JSON.stringify(r)) as
        | { prev: string | null; status: string }
        | undefined;
      if (!row) continue;
      // BOD 26-04 Table 1: the open finding follows the result's CVE inputs (finding-tiers.ts).
      const tiered = usesTable1(r);
      if (row.prev === row.status) {
        if (tiered) this.tiers.retier(agentKey, ruleKey, r);
        continue;
      }
      changes.push({ ruleId: r.ruleId, from: row.prev, to: r.status });
      s.history!.run(agentKey, ruleKey, row.prev, r.status, scannedAt, frame.seq);
      if (row.prev !== null) count(ruleKey, row.prev, -1);
      count(ruleKey, r.status, 1);
      if (r.status === 'fail') {
        const due = r.clockDays === undefined ? null : addDays(scannedAt, r.clockDays);
        s.openFinding!.run(agencyId, agentKey, ruleKey, scannedAt, due, r.clockDirective ?? null);
        if (tiered) this.tiers.retier(agentKey, ruleKey, r);
      } else if ((r.status === 'pass' || r.status === 'not-applicable') && row.prev !== null) {
        s.resolveFinding!.run(scannedAt, agentKey, ruleKey);
      }
    }
    const removals: Array<{ ruleKey: number; status: string }> = [];
    const lastPart = frame.full && (frame.parts === undefined || (frame.part ?? 0) >= frame.parts - 1);
    if (lastPart) {
      removals.push(...(s.staleResults!.all(agentKey, frame.scanId, frame.seq) as Array<{ ruleKey: number; status: string }>));
    } else if (!frame.full && frame.removed) {
      for (const ruleId of frame.removed) {
        const row = s.ruleByid!.get(ruleId) as { key: number } | undefined;
        if (!row) continue;
        const cur = s.current!.get(agentKey, row.key) as CurrentRow | undefined;
        if (cur && cur.seq <= frame.seq) removals.push({ ruleKey: row.key, status: cur.status });
      }
    }
    for (const { ruleKey, status } of removals) {
      s.deleteResult!.run(agentKey, ruleKey);
      s.history!.run(agentKey, ruleKey, status, 'removed', scannedAt, frame.seq);
      s.resolveFinding!.run(scannedAt, agentKey, ruleKey);
      count(ruleKey, status, -1);
    }
  }

  private digestMismatch(agentKey: number, frame: DigestFrame): boolean {
    const stored = stateDigest(this.s.stateOf!.all(agentKey) as Array<{ ruleId: string; status: string }>);
    return stored.count !== frame.count || stored.sha256 !== frame.sha256;
  }

  private agentKeyOf(agentId: string): number {
    let key = this.agentKeys.get(agentId);
    if (key === undefined) {
      const row = this.s.agentKey!.get(agentId) as { key: number } | undefined;
      if (!row) throw new AppError('ERR_AUTH_UNKNOWN_AGENT', `agent ${agentId} is not enrolled`);
      key = row.key;
      this.agentKeys.set(agentId, key);
    }
    return key;
  }

  private ruleKeyOf(r: ResultItem, now: string): number {
    // Rule metadata is the same on every host: write it only when it is new or changed.
    const cached = this.rules.get(r.ruleId);
    if (cached && sameMeta(cached, r)) return cached.key;
    const directives = r.references.directives;
    const row = this.s.insertRule!.get(
      r.ruleId,
      r.packId,
      r.title,
      r.severity,
      r.clockDays ?? null,
      r.clockDirective ?? null,
      JSON.stringify(directives),
      now,
    ) as { key: number };
    this.s.clearRuleDirectives!.run(row.key);
    for (const d of directives) this.s.insertRuleDirective!.run(d, row.key);
    this.rules.set(r.ruleId, { key: row.key, packId: r.packId, title: r.title, severity: r.severity, clockDays: r.clockDays, clockDirective: r.clockDirective, directives: [...directives] });
    return row.key;
  }
}
