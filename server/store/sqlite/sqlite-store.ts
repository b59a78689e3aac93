/**
 * @module SqliteStore: the default Store on one SQLite file (better-sqlite3, WAL) in the data
 * directory. Administrative writes live here; the ingest hot path is in ingest.ts and the read
 * side in posture-queries.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
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
import { SqliteIngest } from './ingest.js';
import { SqliteFindingTiers } from './finding-tiers.js';
import type { HostExposure } from '../../../shared/bod-26-04.js';
import { SqlitePackBundles } from './pack-bundles.js';
import { migrate } from './migrations.js';
import { openDatabase, type OpenOptions } from './open-database.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import * as dq from './dashboard-queries.js';
import * as q from './posture-queries.js';
import { figuresWithWaivers, findingsWithWaivers, postureWithWaivers } from '../waiver-effects.js';
import { agencyEvidence, type AgencyEvidenceOptions } from '../evidence-query.js';
import { agencyCadence, type AgencyCadenceOptions } from '../cadence-query.js';
import type { SqlReader } from '../sql-reader.js';
import { SqlWaiverStore } from '../waiver-store.js';
import { sqliteReader } from './sqlite-reader.js';
import { sqliteWaiverWriter } from './waiver-writer.js';
import { AGENCY_SELECT, AGENT_SELECT, toAgency, toAgent, toUser, type AgencyRow, type AgentRow, type UserRow } from './rows.js';

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database;
  readonly packs: SqlitePackBundles;
  readonly waivers: SqlWaiverStore;
  /** The neutral query adapter that waivers, evidence and waiver effects read through. */
  private readonly reader: SqlReader;
  private ingestor: SqliteIngest | null = null;
  private challengesIssued = 0;
  private checkpointer: WalCheckpointer | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly options: OpenOptions = {},
  ) {
    this.db = openDatabase(dataDir, options);
    this.packs = new SqlitePackBundles(this.db);
    this.reader = sqliteReader(this.db);
    this.waivers = new SqlWaiverStore(this.reader, sqliteWaiverWriter(this.db));
  }

  async migrate(): Promise<number> {
    const version = migrate(this.db);
    if (this.options.backgroundCheckpoints && !this.checkpointer) this.checkpointer = new WalCheckpointer(this.db, this.dataDir);
    return version;
  }

  async close(): Promise<void> {
    if (this.checkpointer) {
      await this.checkpointer.stop();
      this.checkpointer = null;
    }
    if (this.db.open) this.db.close();
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
      const info = this.db.prepare('INSERT INTO agencies (name, parent_id, created_at) VALUES (?, ?, ?)').run(name, parentId, new Date().toISOString());
      return toAgency(this.db.prepare(`${AGENCY_SELECT} WHERE a.id = ?`).get(info.lastInsertRowid) as AgencyRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('ERR_AGENCY_EXISTS', `agency "${name}" already exists`);
      throw err;
    }
  }

  async listAgencies(): Promise<Agency[]> {
    return (this.db.prepare(`${AGENCY_SELECT} ORDER BY a.name`).all() as AgencyRow[]).map(toAgency);
  }

  async findAgency(ref: string): Promise<Agency | null> {
    const byName = this.db.prepare(`${AGENCY_SELECT} WHERE a.name = ?`).get(ref) as AgencyRow | undefined;
    if (byName) return toAgency(byName);
    if (/^\d+$/.test(ref)) {
      const byId = this.db.prepare(`${AGENCY_SELECT} WHERE a.id = ?`).get(Number(ref)) as AgencyRow | undefined;
      if (byId) return toAgency(byId);
    }
    return null;
  }

  async createEnrollToken(input: { agencyName: string; tokenHash: string; expiresAt: string | null; uses: number; now: string }) {
    const agency = await this.findAgency(input.agencyName);
    if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${input.agencyName}" does not exist`);
    this.db
      .prepare('INSERT INTO enroll_tokens (token_hash, agency_id, created_at, expires_at, uses_total, uses_left) VALUES (?, ?, ?, ?, ?, ?)')
      .run(input.tokenHash, agency.id, input.now, input.expiresAt, input.uses, input.uses);
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
      const info = this.db
        .prepare('INSERT INTO users (name, role, agency_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(input.name, input.role, agencyId, input.tokenHash, input.now);
      return toUser(this.userRow('u.id = ?', info.lastInsertRowid)!);
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('ERR_USER_EXISTS', `user "${input.name}" already exists`);
      throw err;
    }
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    const row = this.userRow('u.token_hash = ?', tokenHash);
    if (!row) return null;
    if (row.expires_at !== null && row.expires_at <= new Date().toISOString()) return null;
    return toUser(row);
  }

  private userRow(where: string, arg: unknown): UserRow | undefined {
    return this.db
      .prepare(`SELECT u.id, u.name, u.role, u.agency_id, a.name AS agency_name, u.expires_at FROM users u LEFT JOIN agencies a ON a.id = u.agency_id WHERE ${where}`)
      .get(arg) as UserRow | undefined;
  }

  // --- agents -------------------------------------------------------------------------------

  async enrollAgent(input: EnrollInput): Promise<Agent> {
    const id = randomUUID();
    this.db
      .transaction(() => {
        const token = this.db
          .prepare('SELECT t.id, t.expires_at, t.uses_left, t.agency_id, a.name AS agency_name FROM enroll_tokens t JOIN agencies a ON a.id = t.agency_id WHERE t.token_hash = ?')
          .get(input.tokenHash) as { id: number; expires_at: string | null; uses_left: number; agency_id: number; agency_name: string } | undefined;
        if (!token) throw new AppError('ERR_ENROLL_TOKEN_INVALID', 'the enrollment token is unknown');
        if (token.expires_at !== null && token.expires_at <= input.now) throw new AppError('ERR_ENROLL_TOKEN_EXPIRED', `the enrollment token expired at ${token.expires_at}`);
        if (input.agency !== undefined && input.agency !== token.agency_name) {
          throw new AppError('ERR_ENROLL_AGENCY_MISMATCH', `the token enrolls into agency "${token.agency_name}", not "${input.agency}"`);
        }
        if (token.uses_left <= 0) throw new AppError('ERR_ENROLL_TOKEN_USED', 'the enrollment token has no uses left');
        this.db.prepare('UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE id = ?').run(token.id);
        this.db
          .prepare('INSERT INTO agents (id, agency_id, public_key, hostname, machine_id, os, agent_version, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(id, token.agency_id, input.publicKey, input.hostname, input.machineId ?? null, input.os ?? null, input.agentVersion, input.now);
      })
      .immediate();
    return (await this.getAgent(id))!;
  }

  async getAgent(id: string): Promise<Agent | null> {
    const row = this.db.prepare(`${AGENT_SELECT} WHERE g.id = ?`).get(id) as AgentRow | undefined;
    return row ? toAgent(row) : null;
  }

  async findHost(ref: string): Promise<Agent | null> {
    const byId = await this.getAgent(ref);
    if (byId) return byId;
    const row = this.db
      .prepare(`${AGENT_SELECT} WHERE g.hostname = ? ORDER BY (g.revoked_at IS NULL) DESC, g.enrolled_at DESC, g.key DESC LIMIT 1`)
      .get(ref) as AgentRow | undefined;
    return row ? toAgent(row) : null;
  }

  async listAgents(agencyName?: string): Promise<Agent[]> {
    const rows =
      agencyName === undefined
        ? this.db.prepare(`${AGENT_SELECT} ORDER BY a.name, g.hostname, g.key`).all()
        : this.db.prepare(`${AGENT_SELECT} WHERE a.name = ? ORDER BY g.hostname, g.key`).all(agencyName);
    return (rows as AgentRow[]).map(toAgent);
  }

  /**
   * Revoke: the agent's verdicts leave the agency counters and its open findings close, so
   * posture reflects only hosts that still report. Its rows stay for the record.
   */
  async revokeAgent(id: string, now: string): Promise<boolean> {
    const row = this.db.prepare('SELECT key, agency_id, revoked_at FROM agents WHERE id = ?').get(id) as
      | { key: number; agency_id: number; revoked_at: string | null }
      | undefined;
    if (!row) return false;
    if (row.revoked_at !== null) return true;
    this.db
      .transaction(() => {
        this.db.prepare('UPDATE agents SET revoked_at = ? WHERE key = ?').run(now, row.key);
        const groups = this.db.prepare('SELECT rule_key, status, COUNT(*) AS n FROM results WHERE agent_key = ? GROUP BY rule_key, status').all(row.key) as Array<{
          rule_key: number;
          status: CheckStatus;
          n: number;
        }>;
        const dec = this.db.prepare(
          'UPDATE agency_rule_counts SET n_pass = n_pass - ?, n_fail = n_fail - ?, n_error = n_error - ?, n_na = n_na - ? WHERE agency_id = ? AND rule_key = ?',
        );
        for (const g of groups) {
          dec.run(g.status === 'pass' ? g.n : 0, g.status === 'fail' ? g.n : 0, g.status === 'error' ? g.n : 0, g.status === 'not-applicable' ? g.n : 0, row.agency_id, g.rule_key);
        }
        this.db.prepare('UPDATE findings SET resolved_at = ? WHERE agent_key = ? AND resolved_at IS NULL').run(now, row.key);
      })
      .immediate();
    this.ingestor?.forgetAgent(id);
    return true;
  }

  async revokedSince(since: string): Promise<Array<{ id: string; revokedAt: string }>> {
    return this.db.prepare('SELECT id, revoked_at AS revokedAt FROM agents WHERE revoked_at >= ?').all(since) as Array<{ id: string; revokedAt: string }>;
  }

  async createChallenge(agentId: string, nonce: string, expiresAt: string): Promise<void> {
    this.db.prepare('INSERT INTO challenges (nonce, agent_id, expires_at) VALUES (?, ?, ?)').run(nonce, agentId, expiresAt);
    // Expired nonces are pruned now and then, never per request.
    if (++this.challengesIssued % 256 === 0) this.db.prepare('DELETE FROM challenges WHERE expires_at < ?').run(new Date().toISOString());
  }

  async consumeChallenge(agentId: string, nonce: string, now: string): Promise<boolean> {
    const row = this.db.prepare('DELETE FROM challenges WHERE nonce = ? RETURNING agent_id, expires_at').get(nonce) as
      | { agent_id: string; expires_at: string }
      | undefined;
    return row !== undefined && row.agent_id === agentId && row.expires_at > now;
  }

  async recordHello(agentId: string, hello: { agentVersion: string; host: HostFacts; packs: PackRef[] }): Promise<void> {
    this.db
      .prepare('UPDATE agents SET agent_version = ?, host_facts = ?, packs = ?, hostname = ?, machine_id = COALESCE(?, machine_id), os = COALESCE(?, os) WHERE id = ?')
      .run(
        hello.agentVersion,
        JSON.stringify(hello.host),
        JSON.stringify(hello.packs),
        hello.host.hostname,
        hello.host.machineId ?? null,
        hello.host.os.prettyName ?? null,
        agentId,
      );
  }

  async touchAgents(seen: Array<{ id: string; lastSeenAt: string; outboxDepth?: number; dropped?: number }>): Promise<void> {
    const stmt = this.db.prepare(
      'UPDATE agents SET last_seen_at = MAX(COALESCE(last_seen_at, \'\'), ?), outbox_depth = COALESCE(?, outbox_depth), dropped = COALESCE(?, dropped) WHERE id = ?',
    );
    this.db.transaction(() => {
      for (const s of seen) stmt.run(s.lastSeenAt, s.outboxDepth ?? null, s.dropped ?? null, s.id);
    })();
  }

  async setHostExposure(agentId: string, exposure: HostExposure | null) {
    return new SqliteFindingTiers(this.db).setHostExposure(agentId, exposure);
  }

  // --- ingest and posture ---------------------------------------------------------------------

  async ingest(frames: IngestFrame[]): Promise<IngestOutcome[]> {
    return this.ingestSync(frames);
  }

  /** The synchronous form the pipeline uses on SQLite (one bounded transaction). */
  ingestSync(frames: IngestFrame[]): IngestOutcome[] {
    this.ingestor ??= new SqliteIngest(this.db);
    return this.ingestor.ingest(frames);
  }

  async posture(agencyId: number, now: string, dueSoonDays: number) {
    return postureWithWaivers(this.reader, q.posture(this.db, agencyId, now, dueSoonDays), [agencyId], now);
  }

  async listHosts(agencyId: number, _now: string, page: Page) {
    return q.listHosts(this.db, agencyId, page);
  }

  async hostDetail(agentId: string) {
    return q.hostDetail(this.db, agentId);
  }

  async hostResults(agentId: string, page: Page, status?: CheckStatus) {
    return q.hostResults(this.db, agentId, page, status);
  }

  async hostHistory(agentId: string, page: Page) {
    return q.hostHistory(this.db, agentId, page);
  }

  async listFindings(agencyId: number, now: string, filter: FindingsFilter, page: Page) {
    // dashboard-queries: open findings in due order (undated last), resolved newest first, with filters and components,
    // walking the due-date index instead of sorting every open finding (bench/dashboard).
    return findingsWithWaivers(this.reader, dq.listFindingsFiltered(this.db, agencyId, now, filter, page), filter.agencyIds ?? [agencyId], now);
  }

  // --- evidence (one implementation for both stores) -----------------------------------------

  async agencyEvidence(options: AgencyEvidenceOptions) {
    return agencyEvidence(this.reader, options);
  }

  async agencyCadence(options: AgencyCadenceOptions) {
    return agencyCadence(this.reader, options);
  }

  // --- dashboard (dashboard-queries.ts) -------------------------------------------------------

  async agencyTree() {
    return dq.agencyTree(this.db);
  }

  async listHostsFiltered(agencyId: number, filter: HostFilter, page: Page) {
    return dq.listHostsFiltered(this.db, agencyId, filter, page);
  }

  async hostResultsFiltered(agentId: string, filter: ResultFilter, page: Page) {
    return dq.hostResultsFiltered(this.db, agentId, filter, page);
  }

  /** Rolled up over components, with every component's active waivers applied (as posture() does for one agency). */
  async postureRollup(agencyId: number, agencyIds: number[], now: string, dueSoonDays: number) {
    return postureWithWaivers(this.reader, dq.postureRollup(this.db, agencyId, agencyIds, now, dueSoonDays), agencyIds, now);
  }

  /** Per-agency figures with active waivers applied: a waived failure leaves the score's denominator and the open/overdue findings. */
  async agencyFigures(now: string, onlineSince: string, agencyIds?: number[]) {
    return figuresWithWaivers(this.reader, dq.agencyFigures(this.db, now, onlineSince, agencyIds), now);
  }

  async snapshotDailyPosture(day: string) {
    const now = new Date().toISOString();
    dq.snapshotDailyPosture(this.db, day, await this.agencyFigures(now, now));
  }

  async dailyPosture(fromDay: string) {
    return dq.dailyPosture(this.db, fromDay);
  }

  async ruleHosts(ruleId: string, agencyIds: number[] | null, status: CheckStatus, page: Page) {
    return dq.ruleHosts(this.db, ruleId, agencyIds, status, page);
  }

  async revokeUser(name: string, now: string) {
    return dq.revokeUser(this.db, name, now);
  }

  async agentsLastSeenBetween(from: string, to: string) {
    return dq.agentsLastSeenBetween(this.db, from, to);
  }
}

/** Open the store in a data directory and bring its schema up to date. */
export async function openSqliteStore(dataDir: string, options: OpenOptions = {}): Promise<SqliteStore> {
  const store = new SqliteStore(dataDir, options);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
