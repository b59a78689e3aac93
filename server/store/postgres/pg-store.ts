/**
 * @module PostgresStore: the Store on PostgreSQL (`pg`, pooled, parameterized queries only), for
 * several stateless collector replicas on one database. Same schema numbers and semantics as the
 * SQLite store; administrative writes live here, the ingest transaction in pg-ingest.ts and the
 * read side in pg-posture-queries.ts and pg-dashboard-queries.ts.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../../../shared/errors.js';
import type { CheckStatus, HostFacts, PackRef } from '../../../shared/result.js';
import type {
  Agency,
  Agent,
  EnrollInput,
  FindingsFilter,
  HostFilter,
  IngestFrame,
  IngestOutcome,
  Page,
  ResultFilter,
  Role,
  Store,
  User,
} from '../store.js';
import { AGENCY_SELECT, AGENT_SELECT, toAgency, toAgent, toUser, type AgencyRow, type AgentRow, type UserRow } from '../sqlite/rows.js';
import { PgIngest } from './pg-ingest.js';
import { setHostExposurePg } from './pg-finding-tiers.js';
import type { HostExposure } from '../../../shared/bod-26-04.js';
import { PgPackBundles } from './pg-pack-bundles.js';
import { migratePg } from './migrations.js';
import { checkPool, createPool, inTransaction, isUniqueViolation, type PgOptions } from './pg-pool.js';
import * as dq from './pg-dashboard-queries.js';
import * as q from './pg-posture-queries.js';
import { pgReader } from './pg-reader.js';
import { pgWaiverWriter } from './pg-waiver-writer.js';
import type { SqlReader } from '../sql-reader.js';
import { SqlWaiverStore } from '../waiver-store.js';
import { figuresWithWaivers, findingsWithWaivers, postureWithWaivers } from '../waiver-effects.js';
import { agencyEvidence, type AgencyEvidenceOptions } from '../evidence-query.js';
import { agencyCadence, type AgencyCadenceOptions } from '../cadence-query.js';

/** touchAgents: passes that skip rows an ingest transaction holds, then one that waits; and the pause between. */
const TOUCH_PASSES = 3;
const TOUCH_RETRY_MS = 50;

/** AGENCY_SELECT / AGENT_SELECT are plain SQL shared with SQLite; only the placeholders differ. */
const AGENCY_BY = (cond: string) => `${AGENCY_SELECT} WHERE ${cond}`;

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  /** Published signed rule packs (pg-pack-bundles.ts). */
  readonly packs: PgPackBundles;
  readonly waivers: SqlWaiverStore;
  /** The neutral query adapter that waivers, evidence and waiver effects read through (shared with SQLite). */
  private readonly reader: SqlReader;
  private readonly ingestor: PgIngest;
  private challengesIssued = 0;
  private closed = false;

  constructor(private readonly options: PgOptions) {
    this.pool = createPool(options);
    this.ingestor = new PgIngest(this.pool);
    this.packs = new PgPackBundles(this.pool);
    this.reader = pgReader(this.pool);
    this.waivers = new SqlWaiverStore(this.reader, pgWaiverWriter(this.pool));
  }

  async migrate(): Promise<number> {
    await checkPool(this.pool, this.options);
    const client = await this.pool.connect();
    try {
      return await migratePg(client);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async one<T extends pg.QueryResultRow>(sql: string, args: unknown[] = []): Promise<T | undefined> {
    return (await this.pool.query<T>(sql, args)).rows[0];
  }

  // --- agencies, tokens, users -------------------------------------------------------------

  async createAgency(name: string, parentName?: string): Promise<Agency> {
    let parentId: number | null = null;
    if (parentName !== undefined) {
      const parent = await this.findAgency(parentName);
      if (!parent) throw new AppError('ERR_AGENCY_NOT_FOUND', `parent agency "${parentName}" does not exist`);
      parentId = parent.id;
    }
    try {
      const row = await this.one<{ id: number }>('INSERT INTO agencies (name, parent_id, created_at) VALUES ($1, $2, $3) RETURNING id', [name, parentId, new Date().toISOString()]);
      return toAgency((await this.one<AgencyRow>(AGENCY_BY('a.id = $1'), [row!.id]))!);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('ERR_AGENCY_EXISTS', `agency "${name}" already exists`);
      throw err;
    }
  }

  async listAgencies(): Promise<Agency[]> {
    return (await this.pool.query<AgencyRow>(`${AGENCY_SELECT} ORDER BY a.name`)).rows.map(toAgency);
  }

  async findAgency(ref: string): Promise<Agency | null> {
    const byName = await this.one<AgencyRow>(AGENCY_BY('a.name = $1'), [ref]);
    if (byName) return toAgency(byName);
    if (/^\d{1,9}$/.test(ref)) {
      const byId = await this.one<AgencyRow>(AGENCY_BY('a.id = $1'), [Number(ref)]);
      if (byId) return toAgency(byId);
    }
    return null;
  }

  async createEnrollToken(input: { agencyName: string; tokenHash: string; expiresAt: string | null; uses: number; now: string }) {
    const agency = await this.findAgency(input.agencyName);
    if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
    await this.pool.query('INSERT INTO enroll_tokens (token_hash, agency_id, created_at, expires_at, uses_total, uses_left) VALUES ($1, $2, $3, $4, $5, $5)', [
      input.tokenHash,
      agency.id,
      input.now,
      input.expiresAt,
      input.uses,
    ]);
    return { agency, expiresAt: input.expiresAt, uses: input.uses };
  }

  async createUser(input: { name: string; role: Role; agencyName?: string; tokenHash: string; now: string }): Promise<User> {
    let agencyId: number | null = null;
    if (input.agencyName !== undefined) {
      const agency = await this.findAgency(input.agencyName);
      if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
      agencyId = agency.id;
    }
    try {
      const row = await this.one<{ id: number }>('INSERT INTO users (name, role, agency_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
        input.name,
        input.role,
        agencyId,
        input.tokenHash,
        input.now,
      ]);
      return toUser((await this.userRow('u.id = $1', row!.id))!);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('ERR_USER_EXISTS', `user "${input.name}" already exists`);
      throw err;
    }
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    const row = await this.userRow('u.token_hash = $1', tokenHash);
    if (!row) return null;
    if (row.expires_at !== null && row.expires_at <= new Date().toISOString()) return null;
    return toUser(row);
  }

  private userRow(where: string, arg: unknown): Promise<UserRow | undefined> {
    return this.one<UserRow>(`SELECT u.id, u.name, u.role, u.agency_id, a.name AS agency_name, u.expires_at FROM users u LEFT JOIN agencies a ON a.id = u.agency_id WHERE ${where}`, [arg]);
  }

  // --- agents -------------------------------------------------------------------------------

  async enrollAgent(input: EnrollInput): Promise<Agent> {
    const id = randomUUID();
    await inTransaction(this.pool, async (c) => {
      // FOR UPDATE: two replicas enrolling with the same token take its uses one at a time.
      const token = (
        await c.query<{ id: number; expires_at: string | null; uses_left: number; agency_id: number; agency_name: string }>(
          'SELECT t.id, t.expires_at, t.uses_left, t.agency_id, a.name AS agency_name FROM enroll_tokens t JOIN agencies a ON a.id = t.agency_id WHERE t.token_hash = $1 FOR UPDATE OF t',
          [input.tokenHash],
        )
      ).rows[0];
      if (!token) throw new AppError('ERR_ENROLL_TOKEN_INVALID', 'the enrollment token is unknown');
      if (token.expires_at !== null && token.expires_at <= input.now) throw new AppError('ERR_ENROLL_TOKEN_EXPIRED', `the enrollment token expired at ${token.expires_at}`);
      if (input.agency !== undefined && input.agency !== token.agency_name) {
        throw new AppError('ERR_ENROLL_AGENCY_MISMATCH', `the token enrolls into agency "${token.agency_name}", not "${input.agency}"`);
      }
      if (token.uses_left <= 0) throw new AppError('ERR_ENROLL_TOKEN_USED', 'the enrollment token has no uses left');
      await c.query('UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE id = $1', [token.id]);
      await c.query('INSERT INTO agents (id, agency_id, public_key, hostname, machine_id, os, agent_version, enrolled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        id,
        token.agency_id,
        input.publicKey,
        input.hostname,
        input.machineId ?? null,
        input.os ?? null,
        input.agentVersion,
        input.now,
      ]);
    });
    return (await this.getAgent(id))!;
  }

  async getAgent(id: string): Promise<Agent | null> {
    const row = await this.one<AgentRow>(`${AGENT_SELECT} WHERE g.id = $1`, [id]);
    return row ? toAgent(row) : null;
  }

  async findHost(ref: string): Promise<Agent | null> {
    const byId = await this.getAgent(ref);
    if (byId) return byId;
    const row = await this.one<AgentRow>(`${AGENT_SELECT} WHERE g.hostname = $1 ORDER BY (g.revoked_at IS NULL) DESC, g.enrolled_at DESC, g.key DESC LIMIT 1`, [ref]);
    return row ? toAgent(row) : null;
  }

  async listAgents(agencyName?: string): Promise<Agent[]> {
    const { rows } =
      agencyName === undefined
        ? await this.pool.query<AgentRow>(`${AGENT_SELECT} ORDER BY a.name, g.hostname, g.key`)
        : await this.pool.query<AgentRow>(`${AGENT_SELECT} WHERE a.name = $1 ORDER BY g.hostname, g.key`, [agencyName]);
    return rows.map(toAgent);
  }

  /** Revoke: the agent's verdicts leave the agency counters and its open findings close (as on SQLite). */
  async revokeAgent(id: string, now: string): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      // The row lock orders this against a concurrent ingest of the same agent (pg-ingest locks it too).
      const row = (await c.query<{ key: number; agency_id: number; revoked_at: string | null }>('SELECT key, agency_id, revoked_at FROM agents WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row) return false;
      if (row.revoked_at !== null) return true;
      await c.query('UPDATE agents SET revoked_at = $1 WHERE key = $2', [now, row.key]);
      await c.query(
        `UPDATE agency_rule_counts c SET n_pass = c.n_pass - g.p, n_fail = c.n_fail - g.f, n_error = c.n_error - g.e, n_na = c.n_na - g.n
           FROM (SELECT rule_key,
                        COUNT(*) FILTER (WHERE status = 'pass')::int AS p, COUNT(*) FILTER (WHERE status = 'fail')::int AS f,
                        COUNT(*) FILTER (WHERE status = 'error')::int AS e, COUNT(*) FILTER (WHERE status = 'not-applicable')::int AS n
                   FROM results WHERE agent_key = $1 GROUP BY rule_key) g
          WHERE c.agency_id = $2 AND c.rule_key = g.rule_key`,
        [row.key, row.agency_id],
      );
      await c.query('UPDATE findings SET resolved_at = $1 WHERE agent_key = $2 AND resolved_at IS NULL', [now, row.key]);
      return true;
    });
  }

  async revokedSince(since: string): Promise<Array<{ id: string; revokedAt: string }>> {
    return (await this.pool.query<{ id: string; revokedAt: string }>('SELECT id, revoked_at AS "revokedAt" FROM agents WHERE revoked_at >= $1', [since])).rows;
  }

  async createChallenge(agentId: string, nonce: string, expiresAt: string): Promise<void> {
    await this.pool.query('INSERT INTO challenges (nonce, agent_id, expires_at) VALUES ($1, $2, $3)', [nonce, agentId, expiresAt]);
    if (++this.challengesIssued % 256 === 0) await this.pool.query('DELETE FROM challenges WHERE expires_at < $1', [new Date().toISOString()]);
  }

  async consumeChallenge(agentId: string, nonce: string, now: string): Promise<boolean> {
    const row = await this.one<{ agent_id: string; expires_at: string }>('DELETE FROM challenges WHERE nonce = $1 RETURNING agent_id, expires_at', [nonce]);
    return row !== undefined && row.agent_id === agentId && row.expires_at > now;
  }

  async recordHello(agentId: string, hello: { agentVersion: string; host: HostFacts; packs: PackRef[] }): Promise<void> {
    await this.pool.query(
      'UPDATE agents SET agent_version = $1, host_facts = $2, packs = $3, hostname = $4, machine_id = COALESCE($5, machine_id), os = COALESCE($6, os) WHERE id = $7',
      [hello.agentVersion, JSON.stringify(hello.host), JSON.stringify(hello.packs), hello.host.hostname, hello.host.machineId ?? null, hello.host.os.prettyName ?? null, agentId],
    );
  }

  /**
   * One statement for every agent seen since the last flush (a few when ingest holds some rows).
   * Rows are locked in key order (the order ingest locks them in), so this never deadlocks with
   * an ingest batch on any replica.
   */
  async touchAgents(seen: Array<{ id: string; lastSeenAt: string; outboxDepth?: number; dropped?: number }>): Promise<void> {
    if (seen.length === 0) return;
    const byId = new Map<string, (typeof seen)[number]>();
    for (const s of seen) {
      const prev = byId.get(s.id);
      byId.set(s.id, prev && prev.lastSeenAt > s.lastSeenAt ? { ...s, lastSeenAt: prev.lastSeenAt } : s);
    }
    let list = [...byId.values()];
    // Rows an ingest transaction holds right now are skipped and written on a later pass, so a
    // flush never waits for ingest while holding rows ingest then queues behind; the last pass
    // waits for whatever is still locked (every touch is written).
    for (let pass = 1; list.length > 0; pass++) {
      const last = pass >= TOUCH_PASSES;
      const { rows } = await this.pool.query<{ id: string }>(
        `WITH s AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS s(id, seen, depth, dropped)),
              l AS (SELECT g.key, s.seen, s.depth, s.dropped FROM agents g JOIN s ON s.id = g.id ORDER BY g.key FOR NO KEY UPDATE OF g${last ? '' : ' SKIP LOCKED'})
         UPDATE agents g SET last_seen_at = GREATEST(COALESCE(g.last_seen_at, ''), l.seen), outbox_depth = COALESCE(l.depth, g.outbox_depth), dropped = COALESCE(l.dropped, g.dropped)
           FROM l WHERE g.key = l.key RETURNING g.id`,
        [list.map((s) => s.id), list.map((s) => s.lastSeenAt), list.map((s) => s.outboxDepth ?? null), list.map((s) => s.dropped ?? null)],
      );
      if (last) return;
      const written = new Set(rows.map((r) => r.id));
      list = list.filter((s) => !written.has(s.id));
      if (list.length > 0) await new Promise((r) => setTimeout(r, TOUCH_RETRY_MS));
    }
  }

  // --- ingest and posture ---------------------------------------------------------------------

  async setHostExposure(agentId: string, exposure: HostExposure | null) {
    return setHostExposurePg(this.pool, agentId, exposure);
  }

  async ingest(frames: IngestFrame[]): Promise<IngestOutcome[]> {
    return this.ingestor.ingest(frames);
  }

  async posture(agencyId: number, now: string, dueSoonDays: number) {
    return this.postureRollup(agencyId, [agencyId], now, dueSoonDays);
  }

  async listHosts(agencyId: number, _now: string, page: Page) {
    return q.listHosts(this.pool, agencyId, page);
  }

  async hostDetail(agentId: string) {
    return q.hostDetail(this.pool, agentId);
  }

  async hostResults(agentId: string, page: Page, status?: CheckStatus) {
    return q.hostResults(this.pool, agentId, page, status);
  }

  async hostHistory(agentId: string, page: Page) {
    return q.hostHistory(this.pool, agentId, page);
  }

  async listFindings(agencyId: number, now: string, filter: FindingsFilter, page: Page) {
    return findingsWithWaivers(this.reader, await dq.listFindingsFiltered(this.pool, agencyId, now, filter, page), filter.agencyIds ?? [agencyId], now);
  }

  // --- evidence (one implementation for both stores) -----------------------------------------

  async agencyEvidence(options: AgencyEvidenceOptions) {
    return agencyEvidence(this.reader, options);
  }

  async agencyCadence(options: AgencyCadenceOptions) {
    return agencyCadence(this.reader, options);
  }

  // --- dashboard ------------------------------------------------------------------------------

  async agencyTree() {
    return dq.agencyTree(this.pool);
  }

  async listHostsFiltered(agencyId: number, filter: HostFilter, page: Page) {
    return dq.listHostsFiltered(this.pool, agencyId, filter, page);
  }

  async hostResultsFiltered(agentId: string, filter: ResultFilter, page: Page) {
    return dq.hostResultsFiltered(this.pool, agentId, filter, page);
  }

  /** Rolled up over components, with every component's active waivers applied. */
  async postureRollup(agencyId: number, agencyIds: number[], now: string, dueSoonDays: number) {
    return postureWithWaivers(this.reader, await dq.postureRollup(this.pool, agencyId, agencyIds, now, dueSoonDays), agencyIds, now);
  }

  /** Per-agency figures with active waivers applied (only the agencies asked for, when given). */
  async agencyFigures(now: string, onlineSince: string, agencyIds?: number[]) {
    const figures = await dq.agencyFigures(this.pool, now, onlineSince);
    return figuresWithWaivers(this.reader, agencyIds ? figures.filter((f) => agencyIds.includes(f.agencyId)) : figures, now);
  }

  /** Today's own posture of every agency, waivers applied (as the overview shows it). */
  async snapshotDailyPosture(day: string) {
    const now = new Date().toISOString();
    await dq.snapshotDailyPosture(this.pool, day, await this.agencyFigures(now, now));
  }

  async dailyPosture(fromDay: string) {
    return dq.dailyPosture(this.pool, fromDay);
  }

  async ruleHosts(ruleId: string, agencyIds: number[] | null, status: CheckStatus, page: Page) {
    return dq.ruleHosts(this.pool, ruleId, agencyIds, status, page);
  }

  async revokeUser(name: string, now: string) {
    return dq.revokeUser(this.pool, name, now);
  }

  async agentsLastSeenBetween(from: string, to: string) {
    return dq.agentsLastSeenBetween(this.pool, from, to);
  }
}

/** Open the store on a PostgreSQL database and bring its schema up to date. */
export async function openPostgresStore(options: PgOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
