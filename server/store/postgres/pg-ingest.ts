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
import { inTransaction, queryThenCommit } from './pg-pool.js';
import { addDays } from '../../../shared/evidence/clocks.js';
import { usesTable1 } from '../finding-clock.js';
import { retierFindings, type TierCandidate } from './pg-finding-tiers.js';

const STATUS_INDEX: Record<string, number> = { pass: 0, fail: 1, error: 2, 'not-applicable': 3 };
/** Record separator between JSON bodies in one parameter. */
const RS = '\u001e';
/** SQLSTATEs worth a retry by the agent: serialization failure, deadlock, lock timeout, statement timeout, too many connections. */
const BUSY_CODES = new Set(['40001', '40P01', '55P03', '57014', '53300']);
/** Attempts per batch when PostgreSQL picks it as a deadlock victim. */
const RETRIES = 3;

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
  /** Batches retried after a deadlock or serialization failure. */
  retries = 0;
  /** ruleId → key and the metadata signature last written by this process. */
  private readonly rules = new Map<string, { key: number; sig: string }>();

  constructor(private readonly pool: pg.Pool) {}

  /** Store a batch in one transaction. Throws AppError ERR_STORE_BUSY / ERR_STORE_WRITE; nothing is kept then. */
  async ingest(frames: IngestFrame[]): Promise<IngestOutcome[]> {
    if (frames.length === 0) return [];
    try {
      // A deadlock or serialization failure rolls everything back: retry the whole batch a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(this.pool, (c) => this.apply(c, frames));
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (attempt >= RETRIES || (code !== '40P01' && code !== '40001')) throw err;
          this.rules.clear();
          this.retries++;
        }
      }
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
    // 1. Lock the agents of the batch (key order) and record every (agent, seq) — one statement.
    //    Rows come back as the agents' keys ('k') and the (agent, seq) that are new ('s').
    const ids = [...new Set(frames.map((f) => f.agentId))].sort();
    const first = await c.query<{ t: 'k' | 's'; key: number; id: string | null; seq: number | null }>({
      name: 'rampart-ingest-lock',
      text: `WITH locked AS (SELECT key, id FROM agents WHERE id = ANY($1::text[]) ORDER BY key FOR NO KEY UPDATE),
            ins AS (INSERT INTO received_seqs (agent_key, seq, kind, received_at)
                      SELECT l.key, u.seq, u.kind, u.at FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[]) AS u(id, seq, kind, at) JOIN locked l ON l.id = u.id
                    ON CONFLICT DO NOTHING RETURNING agent_key, seq)
       SELECT 'k' AS t, key, id, NULL::bigint AS seq FROM locked
       UNION ALL SELECT 's', agent_key, NULL, seq FROM ins`,
      values: [ids, frames.map((f) => f.agentId), frames.map((f) => f.frame.seq), frames.map((f) => f.frame.type), frames.map((f) => f.receivedAt)],
    });
    const keys = new Map<string, number>();
    const fresh = new Set<string>();
    for (const row of first.rows) {
      if (row.t === 'k') keys.set(row.id!, row.key);
      else fresh.add(`${row.key}:${row.seq}`);
    }
    for (const id of ids) if (!keys.has(id)) throw new AppError('ERR_AUTH_UNKNOWN_AGENT', `agent ${id} is not enrolled`);

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

    // 2. Rule metadata for every result of the batch (only what this process has not written yet).
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
    // Failing results with BOD 26-04 CVE inputs, the last per (agent, rule): re-tiered after the rounds.
    const tiered = new Map<string, TierCandidate>();

    // 3. Rounds: each is one statement for the results (upsert + history + findings) and, when
    //    needed, one for removals and one reading digests.
    for (const round of rounds) {
      const resultsWork = round.filter((w) => w.item.frame.type === 'results');
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
      const applied = new Map<string, Applied>();
      for (const w of resultsWork) {
        (w.item.frame as ResultsFrame).results.forEach((r, pos) => {
          // A rule twice in one frame: the last verdict counts.
          applied.set(`${w.agentKey}:${this.rules.get(r.ruleId)!.key}`, { work: w, ruleId: r.ruleId, pos, result: r });
        });
      }
      if (applied.size > 0) {
        // Input order = frame order, then result order: history ids follow it (ORDER BY u.o).
        const list = [...applied.values()].sort((x, y) => x.work.idx - y.work.idx || x.pos - y.pos);
        const at = list.map((a) => new Date((a.work.item.frame as ResultsFrame).scannedAt).toISOString());
        const up = await c.query<{ agent_key: number; rule_key: number; prev: string | null; status: string }>({
          name: 'rampart-ingest-results',
          text: `WITH u AS (SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::text[], string_to_array($7, E'\\x1e'), $8::int[], $9::text[], $10::text[], $11::int[])
                        AS u(a, k, s, q, sc, t, b, ag, due, dir, o)),
                up AS (INSERT INTO results AS r (agent_key, rule_key, status, prev_status, seq, scan_id, scanned_at, changed_at, body)
                         SELECT u.a, u.k, u.s, NULL, u.q, u.sc, u.t, u.t, u.b FROM u
                       ON CONFLICT (agent_key, rule_key) DO UPDATE SET prev_status = r.status, status = excluded.status, seq = excluded.seq, scan_id = excluded.scan_id,
                         scanned_at = excluded.scanned_at, changed_at = CASE WHEN r.status = excluded.status THEN r.changed_at ELSE excluded.changed_at END, body = excluded.body
                       WHERE excluded.seq >= r.seq
                       RETURNING r.agent_key, r.rule_key, r.prev_status AS prev, r.status),
                ch AS (SELECT up.agent_key, up.rule_key, up.prev, up.status, u.t, u.q, u.ag, u.due, u.dir, u.o FROM up JOIN u ON u.a = up.agent_key AND u.k = up.rule_key
                        WHERE up.prev IS DISTINCT FROM up.status),
                h AS (INSERT INTO status_history (agent_key, rule_key, from_status, to_status, at, seq) SELECT agent_key, rule_key, prev, status, t, q FROM ch ORDER BY o),
                op AS (INSERT INTO findings (agency_id, agent_key, rule_key, first_seen_at, due_at, directive)
                         SELECT ag, agent_key, rule_key, t, due, dir FROM ch WHERE status = 'fail'
                       ON CONFLICT (agent_key, rule_key) WHERE resolved_at IS NULL DO NOTHING),
                rs AS (UPDATE findings f SET resolved_at = ch.t FROM ch
                        WHERE ch.status IN ('pass', 'not-applicable') AND ch.prev IS NOT NULL AND f.agent_key = ch.agent_key AND f.rule_key = ch.rule_key AND f.resolved_at IS NULL)
           SELECT agent_key, rule_key, prev, status FROM ch ORDER BY o`,
          values: [
            list.map((a) => a.work.agentKey),
            list.map((a) => this.rules.get(a.ruleId)!.key),
            list.map((a) => a.result.status),
            list.map((a) => a.work.item.frame.seq),
            list.map((a) => (a.work.item.frame as ResultsFrame).scanId),
            at,
            // Bodies travel as one text joined by U+001E (JSON.stringify escapes every control
            // character, so it never occurs inside): ~5x cheaper than a text[] of escaped JSON.
            list.map((a) => JSON.stringify(a.result)).join(RS),
            list.map((a) => a.work.item.agencyId),
            list.map((a, i) => (a.result.clockDays === undefined ? null : addDays(at[i]!, a.result.clockDays))),
            list.map((a) => a.result.clockDirective ?? null),
            list.map((_, i) => i),
          ],
        });
        for (const a of list) {
          const k = `${a.work.agentKey}:${this.rules.get(a.ruleId)!.key}`;
          if (usesTable1(a.result)) tiered.set(k, { agentKey: a.work.agentKey, ruleKey: this.rules.get(a.ruleId)!.key, seq: a.work.item.frame.seq, result: a.result });
          else tiered.delete(k);
        }
        for (const row of up.rows) {
          const a = applied.get(`${row.agent_key}:${row.rule_key}`)!;
          outcomes[a.work.idx]!.changes!.push({ ruleId: a.ruleId, from: row.prev, to: row.status });
          if (row.prev !== null) count(a.work.item.agencyId, row.agent_key, row.rule_key, row.prev, -1);
          count(a.work.item.agencyId, row.agent_key, row.rule_key, row.status, 1);
        }
      }
      // Removals: rules a full scan (its last part) no longer reports, or a delta lists as removed.
      const byAgent = new Map(resultsWork.map((w) => [w.agentKey, w]));
      const removeFull = resultsWork.filter((w) => {
        const f = w.item.frame as ResultsFrame;
        return f.full && (f.parts === undefined || (f.part ?? 0) >= f.parts - 1);
      });
      const removeListed = resultsWork.flatMap((w) => {
        const f = w.item.frame as ResultsFrame;
        return !f.full && f.removed ? f.removed.map((ruleId) => ({ w, ruleId })) : [];
      });
      if (removeFull.length > 0 || removeListed.length > 0) {
        const atOf = (w: Work) => new Date((w.item.frame as ResultsFrame).scannedAt).toISOString();
        const del = await c.query<{ agent_key: number; rule_key: number; status: string }>(
          `WITH f AS (SELECT * FROM unnest($1::int[], $2::text[], $3::bigint[], $4::text[]) AS f(a, sc, q, t)),
                l AS (SELECT l.a, ru.key AS k, l.q, l.t FROM unnest($5::int[], $6::text[], $7::bigint[], $8::text[]) AS l(a, rid, q, t) JOIN rules ru ON ru.id = l.rid),
                d1 AS (DELETE FROM results r USING f WHERE r.agent_key = f.a AND r.scan_id <> f.sc AND r.seq < f.q RETURNING r.agent_key, r.rule_key, r.status, f.t, f.q),
                d2 AS (DELETE FROM results r USING l WHERE r.agent_key = l.a AND r.rule_key = l.k AND r.seq <= l.q RETURNING r.agent_key, r.rule_key, r.status, l.t, l.q),
                del AS (SELECT * FROM d1 UNION ALL SELECT * FROM d2),
                h AS (INSERT INTO status_history (agent_key, rule_key, from_status, to_status, at, seq) SELECT agent_key, rule_key, status, 'removed', t, q FROM del ORDER BY agent_key, rule_key),
                rs AS (UPDATE findings fi SET resolved_at = del.t FROM del WHERE fi.agent_key = del.agent_key AND fi.rule_key = del.rule_key AND fi.resolved_at IS NULL)
           SELECT agent_key, rule_key, status FROM del`,
          [
            removeFull.map((w) => w.agentKey),
            removeFull.map((w) => (w.item.frame as ResultsFrame).scanId),
            removeFull.map((w) => w.item.frame.seq),
            removeFull.map(atOf),
            removeListed.map((x) => x.w.agentKey),
            removeListed.map((x) => x.ruleId),
            removeListed.map((x) => x.w.item.frame.seq),
            removeListed.map((x) => atOf(x.w)),
          ],
        );
        for (const rm of del.rows) count(byAgent.get(rm.agent_key)!.item.agencyId, rm.agent_key, rm.rule_key, rm.status, -1);
      }
      // Digest frames: compare with the state after this agent's earlier frames.
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

    await retierFindings(c, [...tiered.values()]);

    // 4. Scan history, counters (sorted: concurrent replicas lock counter rows in one order), the
    //    agents' counters and delivery figures — one statement, with COMMIT written right behind
    //    it, so the hot counter rows stay locked only while PostgreSQL runs it. The three
    //    statements every batch runs are prepared (named): parsed and planned once per connection.
    const deltas = [...agencyDeltas.values()].filter((e) => e.d.some((x) => x !== 0)).sort((a, b) => a.agencyId - b.agencyId || a.ruleKey - b.ruleKey);
    const agents = [...agentDeltas.entries()].sort((a, b) => a[0] - b[0]);
    await queryThenCommit(
      c,
      `WITH hs AS (INSERT INTO host_scans (agent_key, scan_id, scanned_at) SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING),
            cn AS (INSERT INTO agency_rule_counts AS c (agency_id, rule_key, n_pass, n_fail, n_error, n_na)
                     SELECT * FROM unnest($4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[])
                   ON CONFLICT (agency_id, rule_key) DO UPDATE SET n_pass = c.n_pass + excluded.n_pass, n_fail = c.n_fail + excluded.n_fail,
                     n_error = c.n_error + excluded.n_error, n_na = c.n_na + excluded.n_na)
       UPDATE agents g SET max_seq = GREATEST(g.max_seq, u.mx), seq_count = g.seq_count + u.n, last_scan_at = COALESCE(u.lsa, g.last_scan_at),
         last_scan_id = COALESCE(u.lsi, g.last_scan_id), n_pass = g.n_pass + u.p, n_fail = g.n_fail + u.f, n_error = g.n_error + u.e, n_na = g.n_na + u.na
        FROM unnest($10::int[], $11::bigint[], $12::int[], $13::text[], $14::text[], $15::int[], $16::int[], $17::int[], $18::int[]) AS u(k, mx, n, lsa, lsi, p, f, e, na)
       WHERE g.key = u.k`,
      [
        scans.map((s) => s.agentKey),
        scans.map((s) => s.scanId),
        scans.map((s) => s.at),
        deltas.map((e) => e.agencyId),
        deltas.map((e) => e.ruleKey),
        ...[0, 1, 2, 3].map((i) => deltas.map((e) => e.d[i])),
        agents.map(([k]) => k),
        agents.map(([, a]) => a.maxSeq),
        agents.map(([, a]) => a.seqs),
        agents.map(([, a]) => a.lastScanAt),
        agents.map(([, a]) => a.lastScanId),
        ...[0, 1, 2, 3].map((i) => agents.map(([, a]) => a.counts[i])),
      ],
      'rampart-ingest-counters',
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
