/**
 * @module The PostgreSQL ingest transaction: one transaction per batch, set-based. The batch's
 * agents are row-locked first (in key order: a concurrent revoke or another replica waits, never
 * deadlocks); every (agent, seq) is inserted into received_seqs with ON CONFLICT DO NOTHING (what
 * comes back is new, the rest are duplicates); then the frames are applied in rounds — round r
 * holds the r-th new frame of each agent, so one multi-row upsert per round never touches a row
 * twice and each agent's frames apply in seq order. History rows only on a status change,
 * findings opened and resolved, and the per-agency and per-host counters posture reads, all
 * before COMMIT: a frame is acknowledged only after all of it is durable.
 */
import type pg from 'pg';
import type { DigestFrame, ResultItem, ResultsFrame } from '../../../shared/protocol.js';
import { stateDigest } from '../../../shared/state-digest.js';
import { AppError, isAppError } from '../../../shared/errors.js';
import type { IngestFrame, IngestOutcome } from '../store.js';
import { inTransaction } from './pg-pool.js';

const STATUS_INDEX: Record<string, number> = { pass: 0, fail: 1, error: 2, 'not-applicable': 3 };
const DAY_MS = 86_400_000;
/** Record separator between JSON bodies in one parameter. */
const RS = '\u001e';
/** SQLSTATEs worth a retry by the agent: serialization failure, deadlock, lock timeout, statement timeout, too many connections. */
const BUSY_CODES = new Set(['40001', '40P01', '55P03', '57014', '53300']);

type Counts = [number, number, number, number];

interface Work {
  idx: number;
  item: IngestFrame;
  agentKey: number;
}

interface AgentDelta {
  maxSeq: number;
  seqs: number;
  lastScanAt: string | null;
  lastScanId: string | null;
  counts: Counts;
}

interface Applied {
  work: Work;
  ruleId: string;
  pos: number;
  result: ResultItem;
}

function ruleSig(r: ResultItem): string {
  return `${r.packId}\u0000${r.title}\u0000${r.severity}\u0000${r.clockDays ?? ''}\u0000${r.clockDirective ?? ''}\u0000${r.references.directives.join(',')}`;
}

export class PgIngest {
  /** ruleId → key and the metadata signature last written by this process. */
  private readonly rules = new Map<string, { key: number; sig: string }>();

  constructor(private readonly pool: pg.Pool) {}

  /** Store a batch in one transaction. Throws AppError ERR_STORE_BUSY / ERR_STORE_WRITE; nothing is kept then. */
  async ingest(frames: IngestFrame[]): Promise<IngestOutcome[]> {
    if (frames.length === 0) return [];
    try {
      return await inTransaction(this.pool, (c) => this.apply(c, frames));
    } catch (err) {
      // Keys cached during a rolled-back transaction may not exist.
      this.rules.clear();
      if (isAppError(err)) throw err;
      const code = (err as { code?: string }).code;
      if (code !== undefined && BUSY_CODES.has(code)) throw new AppError('ERR_STORE_BUSY', (err as Error).message, { cause: err });
      throw new AppError('ERR_STORE_WRITE', (err as Error).message, { cause: err });
    }
  }

  private async apply(c: pg.PoolClient, frames: IngestFrame[]): Promise<IngestOutcome[]> {
    // 1. Lock the agents of the batch (key order), resolving ids to keys.
    const ids = [...new Set(frames.map((f) => f.agentId))].sort();
    const keys = new Map<string, number>();
    for (const row of (await c.query<{ id: string; key: number }>('SELECT id, key FROM agents WHERE id = ANY($1::text[]) ORDER BY key FOR NO KEY UPDATE', [ids])).rows) {
      keys.set(row.id, row.key);
    }
    for (const id of ids) if (!keys.has(id)) throw new AppError('ERR_AUTH_UNKNOWN_AGENT', `agent ${id} is not enrolled`);

    // 2. Idempotency: which (agent, seq) are new.
    const ins = await c.query<{ agent_key: number; seq: number }>(
      'INSERT INTO received_seqs (agent_key, seq, kind, received_at) SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING RETURNING agent_key, seq',
      [frames.map((f) => keys.get(f.agentId)), frames.map((f) => f.frame.seq), frames.map((f) => f.frame.type), frames.map((f) => f.receivedAt)],
    );
    const fresh = new Set(ins.rows.map((r) => `${r.agent_key}:${r.seq}`));
    const outcomes: IngestOutcome[] = frames.map(() => ({ status: 'duplicate' }));
    const rounds: Work[][] = [];
    const perAgent = new Map<number, number>();
    const agentDeltas = new Map<number, AgentDelta>();
    frames.forEach((item, idx) => {
      const agentKey = keys.get(item.agentId)!;
      const k = `${agentKey}:${item.frame.seq}`;
      if (!fresh.delete(k)) return; // already stored, or a second copy in this batch
      const r = perAgent.get(agentKey) ?? 0;
      perAgent.set(agentKey, r + 1);
      (rounds[r] ??= []).push({ idx, item, agentKey });
      let ad = agentDeltas.get(agentKey);
      if (!ad) agentDeltas.set(agentKey, (ad = { maxSeq: 0, seqs: 0, lastScanAt: null, lastScanId: null, counts: [0, 0, 0, 0] }));
      ad.maxSeq = Math.max(ad.maxSeq, item.frame.seq);
      ad.seqs += 1;
    });
    if (agentDeltas.size === 0) return outcomes;

    // 3. Rule metadata for every result of the batch.
    await this.ensureRules(c, rounds);

    const agencyDeltas = new Map<string, { agencyId: number; ruleKey: number; d: Counts }>();
    const count = (agencyId: number, agentKey: number, ruleKey: number, status: string, delta: number): void => {
      const i = STATUS_INDEX[status];
      if (i === undefined) return;
      const k = `${agencyId}:${ruleKey}`;
      let e = agencyDeltas.get(k);
      if (!e) agencyDeltas.set(k, (e = { agencyId, ruleKey, d: [0, 0, 0, 0] }));
      e.d[i]! += delta;
      agentDeltas.get(agentKey)!.counts[i]! += delta;
    };
    const scans: Array<{ agentKey: number; scanId: string; at: string }> = [];

    // 4. Rounds.
    for (const round of rounds) {
      const resultsWork = round.filter((w) => w.item.frame.type === 'results');
      const history: Array<[number, number, string | null, string, string, number]> = [];
      const opens: Array<[number, number, number, string, string | null, string | null]> = [];
      const resolves: Array<[number, number, string]> = [];
      for (const w of resultsWork) {
        outcomes[w.idx] = { status: 'stored', changes: [] };
        const f = w.item.frame as ResultsFrame;
        const at = new Date(f.scannedAt).toISOString();
        scans.push({ agentKey: w.agentKey, scanId: f.scanId, at });
        const ad = agentDeltas.get(w.agentKey)!;
        if (ad.lastScanAt === null || at > ad.lastScanAt) {
          ad.lastScanAt = at;
          ad.lastScanId = f.scanId;
        }
      }
      // 4a. Upsert current state (never with an older seq), returning the status before and after.
      const applied = new Map<string, Applied>();
      for (const w of resultsWork) {
        (w.item.frame as ResultsFrame).results.forEach((r, pos) => {
          // A rule twice in one frame: the last verdict counts.
          applied.set(`${w.agentKey}:${this.rules.get(r.ruleId)!.key}`, { work: w, ruleId: r.ruleId, pos, result: r });
        });
      }
      if (applied.size > 0) {
        const list = [...applied.values()];
        const up = await c.query<{ agent_key: number; rule_key: number; prev: string | null; status: string }>(
          `INSERT INTO results AS r (agent_key, rule_key, status, prev_status, seq, scan_id, scanned_at, changed_at, body)
             SELECT u.a, u.k, u.s, NULL, u.q, u.sc, u.t, u.t, u.b FROM unnest($1::int[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::text[], string_to_array($7, E'\\x1e')) AS u(a, k, s, q, sc, t, b)
           ON CONFLICT (agent_key, rule_key) DO UPDATE SET prev_status = r.status, status = excluded.status, seq = excluded.seq, scan_id = excluded.scan_id,
             scanned_at = excluded.scanned_at, changed_at = CASE WHEN r.status = excluded.status THEN r.changed_at ELSE excluded.changed_at END, body = excluded.body
           WHERE excluded.seq >= r.seq
           RETURNING r.agent_key, r.rule_key, r.prev_status AS prev, r.status`,
          [
            list.map((a) => a.work.agentKey),
            list.map((a) => this.rules.get(a.ruleId)!.key),
            list.map((a) => a.result.status),
            list.map((a) => a.work.item.frame.seq),
            list.map((a) => (a.work.item.frame as ResultsFrame).scanId),
            list.map((a) => new Date((a.work.item.frame as ResultsFrame).scannedAt).toISOString()),
            // Bodies travel as one text joined by U+001E (JSON.stringify escapes every control
            // character, so it never occurs inside): ~5x cheaper than a text[] of escaped JSON.
            list.map((a) => JSON.stringify(a.result)).join(RS),
          ],
        );
        const changed = up.rows
          .filter((row) => row.prev !== row.status)
          .map((row) => ({ row, a: applied.get(`${row.agent_key}:${row.rule_key}`)! }))
          .sort((x, y) => x.a.work.idx - y.a.work.idx || x.a.pos - y.a.pos);
        for (const { row, a } of changed) {
          const f = a.work.item.frame as ResultsFrame;
          const at = new Date(f.scannedAt).toISOString();
          const r = a.result;
          outcomes[a.work.idx]!.changes!.push({ ruleId: r.ruleId, from: row.prev, to: r.status });
          history.push([row.agent_key, row.rule_key, row.prev, r.status, at, f.seq]);
          if (row.prev !== null) count(a.work.item.agencyId, row.agent_key, row.rule_key, row.prev, -1);
          count(a.work.item.agencyId, row.agent_key, row.rule_key, r.status, 1);
          if (r.status === 'fail') {
            const due = r.clockDays === undefined ? null : new Date(Date.parse(at) + r.clockDays * DAY_MS).toISOString();
            opens.push([a.work.item.agencyId, row.agent_key, row.rule_key, at, due, r.clockDirective ?? null]);
          } else if ((r.status === 'pass' || r.status === 'not-applicable') && row.prev !== null) {
            resolves.push([row.agent_key, row.rule_key, at]);
          }
        }
      }
      // 4b. Removals: rules a full scan no longer reports, or a delta lists as removed.
      const byAgent = new Map(resultsWork.map((w) => [w.agentKey, w]));
      const fullLast = resultsWork.filter((w) => {
        const f = w.item.frame as ResultsFrame;
        return f.full && (f.parts === undefined || (f.part ?? 0) >= f.parts - 1);
      });
      const removedLists = resultsWork.flatMap((w) => {
        const f = w.item.frame as ResultsFrame;
        return !f.full && f.removed ? f.removed.map((ruleId) => ({ w, ruleId })) : [];
      });
      const removals: Array<{ agent_key: number; rule_key: number; status: string }> = [];
      if (fullLast.length > 0) {
        const del = await c.query<{ agent_key: number; rule_key: number; status: string }>(
          `DELETE FROM results r USING unnest($1::int[], $2::text[], $3::bigint[]) AS u(a, sc, q)
            WHERE r.agent_key = u.a AND r.scan_id <> u.sc AND r.seq < u.q RETURNING r.agent_key, r.rule_key, r.status`,
          [fullLast.map((w) => w.agentKey), fullLast.map((w) => (w.item.frame as ResultsFrame).scanId), fullLast.map((w) => w.item.frame.seq)],
        );
        removals.push(...del.rows);
      }
      if (removedLists.length > 0) {
        const del = await c.query<{ agent_key: number; rule_key: number; status: string }>(
          `DELETE FROM results r USING unnest($1::int[], $2::text[], $3::bigint[]) AS u(a, rid, q) JOIN rules ru ON ru.id = u.rid
            WHERE r.agent_key = u.a AND r.rule_key = ru.key AND r.seq <= u.q RETURNING r.agent_key, r.rule_key, r.status`,
          [removedLists.map((x) => x.w.agentKey), removedLists.map((x) => x.ruleId), removedLists.map((x) => x.w.item.frame.seq)],
        );
        removals.push(...del.rows);
      }
      removals.sort((x, y) => x.agent_key - y.agent_key || x.rule_key - y.rule_key);
      for (const rm of removals) {
        const w = byAgent.get(rm.agent_key)!;
        const f = w.item.frame as ResultsFrame;
        const at = new Date(f.scannedAt).toISOString();
        history.push([rm.agent_key, rm.rule_key, rm.status, 'removed', at, f.seq]);
        resolves.push([rm.agent_key, rm.rule_key, at]);
        count(w.item.agencyId, rm.agent_key, rm.rule_key, rm.status, -1);
      }
      // 4c. History, findings.
      if (history.length > 0) {
        await c.query(
          'INSERT INTO status_history (agent_key, rule_key, from_status, to_status, at, seq) SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[])',
          [0, 1, 2, 3, 4, 5].map((i) => history.map((h) => h[i])),
        );
      }
      if (opens.length > 0) {
        await c.query(
          `INSERT INTO findings (agency_id, agent_key, rule_key, first_seen_at, due_at, directive)
             SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[])
           ON CONFLICT (agent_key, rule_key) WHERE resolved_at IS NULL DO NOTHING`,
          [0, 1, 2, 3, 4, 5].map((i) => opens.map((o) => o[i])),
        );
      }
      if (resolves.length > 0) {
        await c.query(
          `UPDATE findings f SET resolved_at = u.at FROM unnest($1::int[], $2::int[], $3::text[]) AS u(a, k, at)
            WHERE f.agent_key = u.a AND f.rule_key = u.k AND f.resolved_at IS NULL`,
          [0, 1, 2].map((i) => resolves.map((r) => r[i])),
        );
      }
      // 4d. Digest frames: compare with the state after this agent's earlier frames.
      const digests = round.filter((w) => w.item.frame.type === 'digest');
      if (digests.length > 0) {
        const { rows } = await c.query<{ agent_key: number; ruleId: string; status: string }>(
          'SELECT r.agent_key, ru.id AS "ruleId", r.status FROM results r JOIN rules ru ON ru.key = r.rule_key WHERE r.agent_key = ANY($1::int[])',
          [digests.map((w) => w.agentKey)],
        );
        for (const w of digests) {
          const f = w.item.frame as DigestFrame;
          const stored = stateDigest(rows.filter((r) => r.agent_key === w.agentKey));
          outcomes[w.idx] = { status: 'stored', digestMismatch: stored.count !== f.count || stored.sha256 !== f.sha256 };
        }
      }
    }

    // 5. Scan history, counters (sorted: concurrent replicas lock counter rows in one order).
    if (scans.length > 0) {
      await c.query('INSERT INTO host_scans (agent_key, scan_id, scanned_at) SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING', [
        scans.map((s) => s.agentKey),
        scans.map((s) => s.scanId),
        scans.map((s) => s.at),
      ]);
    }
    const deltas = [...agencyDeltas.values()].filter((e) => e.d.some((x) => x !== 0)).sort((a, b) => a.agencyId - b.agencyId || a.ruleKey - b.ruleKey);
    if (deltas.length > 0) {
      await c.query(
        `INSERT INTO agency_rule_counts AS c (agency_id, rule_key, n_pass, n_fail, n_error, n_na)
           SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::int[])
         ON CONFLICT (agency_id, rule_key) DO UPDATE SET n_pass = c.n_pass + excluded.n_pass, n_fail = c.n_fail + excluded.n_fail,
           n_error = c.n_error + excluded.n_error, n_na = c.n_na + excluded.n_na`,
        [deltas.map((e) => e.agencyId), deltas.map((e) => e.ruleKey), ...[0, 1, 2, 3].map((i) => deltas.map((e) => e.d[i]))],
      );
    }
    const agents = [...agentDeltas.entries()].sort((a, b) => a[0] - b[0]);
    await c.query(
      `UPDATE agents g SET max_seq = GREATEST(g.max_seq, u.mx), seq_count = g.seq_count + u.n, last_scan_at = COALESCE(u.lsa, g.last_scan_at),
         last_scan_id = COALESCE(u.lsi, g.last_scan_id), n_pass = g.n_pass + u.p, n_fail = g.n_fail + u.f, n_error = g.n_error + u.e, n_na = g.n_na + u.na
        FROM unnest($1::int[], $2::bigint[], $3::int[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::int[]) AS u(k, mx, n, lsa, lsi, p, f, e, na)
       WHERE g.key = u.k`,
      [
        agents.map(([k]) => k),
        agents.map(([, a]) => a.maxSeq),
        agents.map(([, a]) => a.seqs),
        agents.map(([, a]) => a.lastScanAt),
        agents.map(([, a]) => a.lastScanId),
        ...[0, 1, 2, 3].map((i) => agents.map(([, a]) => a.counts[i])),
      ],
    );
    return outcomes;
  }

  /** Upsert rule metadata that changed since this process last wrote it; fill the key cache. */
  private async ensureRules(c: pg.PoolClient, rounds: Work[][]): Promise<void> {
    const wanted = new Map<string, ResultItem>();
    for (const round of rounds) {
      for (const w of round) {
        if (w.item.frame.type !== 'results') continue;
        for (const r of w.item.frame.results) {
          const cached = this.rules.get(r.ruleId);
          if (!cached || cached.sig !== ruleSig(r)) wanted.set(r.ruleId, r);
          else wanted.delete(r.ruleId);
        }
      }
    }
    if (wanted.size === 0) return;
    const list = [...wanted.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    const now = new Date().toISOString();
    // Only rows whose metadata differs are updated (and locked); unchanged rules are just read.
    const changed = await c.query<{ key: number }>(
      `INSERT INTO rules AS ru (id, pack_id, title, severity, clock_days, clock_directive, directives, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT (id) DO UPDATE SET pack_id = excluded.pack_id, title = excluded.title, severity = excluded.severity, clock_days = excluded.clock_days,
         clock_directive = excluded.clock_directive, directives = excluded.directives, updated_at = excluded.updated_at
       WHERE (ru.pack_id, ru.title, ru.severity, ru.clock_days, ru.clock_directive, ru.directives)
             IS DISTINCT FROM (excluded.pack_id, excluded.title, excluded.severity, excluded.clock_days, excluded.clock_directive, excluded.directives)
       RETURNING ru.key`,
      [
        list.map((r) => r.ruleId),
        list.map((r) => r.packId),
        list.map((r) => r.title),
        list.map((r) => r.severity),
        list.map((r) => r.clockDays ?? null),
        list.map((r) => r.clockDirective ?? null),
        list.map((r) => JSON.stringify(r.references.directives)),
        list.map(() => now),
      ],
    );
    if (changed.rows.length > 0) {
      const changedKeys = changed.rows.map((r) => r.key);
      await c.query('DELETE FROM rule_directives WHERE rule_key = ANY($1::int[])', [changedKeys]);
      await c.query(
        `INSERT INTO rule_directives (directive, rule_key)
           SELECT d.directive, ru.key FROM rules ru CROSS JOIN LATERAL jsonb_array_elements_text(ru.directives::jsonb) AS d(directive)
            WHERE ru.key = ANY($1::int[]) ON CONFLICT DO NOTHING`,
        [changedKeys],
      );
    }
    const { rows } = await c.query<{ id: string; key: number }>('SELECT id, key FROM rules WHERE id = ANY($1::text[])', [list.map((r) => r.ruleId)]);
    const keyOf = new Map(rows.map((r) => [r.id, r.key]));
    for (const r of list) this.rules.set(r.ruleId, { key: keyOf.get(r.ruleId)!, sig: ruleSig(r) });
  }
}
