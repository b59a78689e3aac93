/**
 * @module The collector's Store interface: everything the gateway, the ingest pipeline, the API
 * and the CLI need from persistence. Every method is async so a PostgreSQL implementation can
 * follow the SQLite one (store/sqlite/) behind the same contract. Times are ISO-8601 strings.
 */
import type { CheckStatus, PackRef, HostFacts } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import type { DigestFrame, ResultsFrame } from '../../shared/protocol.js';
import type { EvidenceModel } from '../../shared/evidence/model.js';
import type { PackBundleStore } from './pack-bundles.js';
import type { Bod2604TierId, HostExposure } from '../../shared/bod-26-04.js';
import type { WaiverStore } from './waivers.js';
import type { AgencyEvidenceOptions } from './evidence-query.js';
import type { AgencyCadence, AgencyCadenceOptions } from './cadence-query.js';

export type Role = 'admin' | 'soc' | 'agency-viewer';
export const ROLES: readonly Role[] = ['admin', 'soc', 'agency-viewer'];

export interface Agency {
  id: number;
  name: string;
  parentId: number | null;
  parentName: string | null;
  createdAt: string;
  hostCount: number;
}

export interface User {
  id: number;
  name: string;
  role: Role;
  agencyId: number | null;
  agencyName: string | null;
}

export interface Agent {
  id: string;
  agencyId: number;
  agencyName: string;
  hostname: string;
  machineId: string | null;
  os: string | null;
  agentVersion: string | null;
  publicKey: string;
  enrolledAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
  lastScanAt: string | null;
  lastScanId: string | null;
  /** Highest committed seq. */
  maxSeq: number;
  /** How many distinct seqs were committed; complete when it equals maxSeq. */
  seqCount: number;
  counts: HostCounts;
  outboxDepth: number | null;
  dropped: number | null;
  /** Administrator's exposure tag for BOD 26-04 (null: unset, treated as internet-exposed). */
  exposure: HostExposure | null;
}

/** What setHostExposure changed. */
export interface ExposureChange {
  before: HostExposure | null;
  after: HostExposure | null;
  /** Open findings whose BOD 26-04 tier or due date changed with the tag. */
  findingsRetiered: number;
}

export interface HostCounts {
  pass: number;
  fail: number;
  error: number;
  notApplicable: number;
}

export interface EnrollInput {
  tokenHash: string;
  publicKey: string;
  hostname: string;
  machineId?: string;
  os?: string;
  agentVersion: string;
  /** Agency the agent asked for, if any (refused when the token belongs to another). */
  agency?: string;
  now: string;
}

/** One validated sequenced frame on its way into a transaction. */
export interface IngestFrame {
  agentId: string;
  agencyId: number;
  frame: ResultsFrame | DigestFrame;
  /** Collector receive time. */
  receivedAt: string;
}

export interface IngestOutcome {
  status: 'stored' | 'duplicate';
  /** Digest frames: true when the stored state differs from the agent's (send resync). */
  digestMismatch?: boolean;
  /** Results frames: the status changes this frame made (new verdicts have from = null), for live updates. */
  changes?: Array<{ ruleId: string; from: string | null; to: string }>;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface Paged<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  /** Offset of the next page, or null on the last. */
  nextOffset: number | null;
}

export interface DirectiveCompliance {
  directive: string;
  rules: number;
  pass: number;
  fail: number;
  error: number;
  /** Share of applicable (host, rule) verdicts that pass, 0..100, or null when none apply. */
  percent: number | null;
}

export interface FailingRule {
  ruleId: string;
  title: string;
  severity: Severity;
  failingHosts: number;
  errorHosts: number;
  passingHosts: number;
  directives: string[];
}

export interface Finding {
  id: number;
  agentId: string;
  hostname: string;
  ruleId: string;
  title: string;
  severity: Severity;
  directive: string | null;
  firstSeenAt: string;
  /** Null for no clock, and for the BOD 26-04 "next system upgrade" tier (then `tier` says so). */
  dueAt: string | null;
  overdue: boolean;
  resolvedAt: string | null;
  /** BOD 26-04 Table 1 tier when the finding has CVE inputs (docs/directive-clocks.md), else null. */
  tier: Bod2604TierId | null;
  forensicTriage: boolean;
}

export interface Posture {
  agency: { id: number; name: string; parentName: string | null };
  asOf: string;
  hosts: { total: number; revoked: number };
  /** Severity-weighted share of applicable verdicts that pass, 0..100 (errors count as not passing); null with no verdicts. */
  score: number | null;
  counts: HostCounts & { total: number };
  failBySeverity: Record<Severity, number>;
  directives: DirectiveCompliance[];
  failingRules: FailingRule[];
  findings: { open: number; overdue: number; dueSoon: number; dueSoonDays: number; overdueList: Finding[]; dueSoonList: Finding[] };
}

export interface HostSummary {
  agentId: string;
  hostname: string;
  os: string | null;
  agentVersion: string | null;
  enrolledAt: string;
  revoked: boolean;
  lastSeenAt: string | null;
  lastScanAt: string | null;
  counts: HostCounts;
  delivery: Completeness;
}

export interface Completeness {
  maxSeq: number;
  received: number;
  missing: number;
  complete: boolean;
}

export interface StoredResult {
  ruleId: string;
  status: CheckStatus;
  severity: Severity;
  seq: number;
  scanId: string;
  scannedAt: string;
  changedAt: string;
  /** The RuleResult exactly as the agent sent it (with evidence). */
  result: unknown;
}

export interface HostDetail {
  host: HostSummary & { agency: string; facts: HostFacts | null; packs: PackRef[] };
  /** Missing seq ranges (first 100) — empty when delivery is complete. */
  gaps: Array<{ from: number; to: number }>;
}

export interface StatusChange {
  ruleId: string;
  from: string | null;
  to: string;
  at: string;
  seq: number;
}

export interface FindingsFilter {
  state: 'open' | 'overdue' | 'resolved' | 'all';
  /** Dashboard filters (docs/dashboard.md); absent means no filter. */
  severity?: Severity;
  /** Rules that cite this directive. */
  directive?: string;
  /** Substring of the hostname or rule id. */
  q?: string;
  /** Agencies to include (an agency and its components); default: only the agency itself. */
  agencyIds?: number[];
}

/** Server-side filters of the host list (dashboard). */
export interface HostFilter {
  /** Substring of the hostname (case-insensitive). */
  q?: string;
  /** online: not revoked and seen at or after `onlineSince`; offline: the others. */
  status?: 'online' | 'offline';
  onlineSince?: string;
  /** Agencies to include (an agency and its components); default: only the agency itself. */
  agencyIds?: number[];
}

/** Server-side filters of a host's results (dashboard). */
export interface ResultFilter {
  status?: CheckStatus;
  severity?: Severity;
  /** Rules that cite this directive. */
  directive?: string;
  /** Substring of the rule id or title. */
  q?: string;
}

/** One agency in the tree (cheap: no counts). */
export interface AgencyNode {
  id: number;
  name: string;
  parentId: number | null;
  parentName: string | null;
}

/** Per-agency figures of the federal overview, for one agency alone (roll-up happens above the store). */
export interface AgencyFigures {
  agencyId: number;
  /** Severity-weighted passing verdicts and applicable verdicts (score = 100 * won / possible). */
  won: number;
  possible: number;
  hosts: number;
  online: number;
  openFindings: number;
  overdueFindings: number;
}

/** One day of one agency's own posture (won/possible, so components roll up by summing). */
export interface DailyPosture {
  agencyId: number;
  day: string;
  won: number;
  possible: number;
}

export interface RuleHost {
  agentId: string;
  hostname: string;
  agency: string;
  status: CheckStatus;
  /** When the host entered this status (the result's last status change). */
  since: string;
}

export interface RuleInfo {
  ruleId: string;
  title: string;
  severity: Severity;
  remediation: string | null;
}

/** The persistence contract. Implementations: SqliteStore (default) and PostgresStore. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Published signed rule packs (store/pack-bundles.ts); absent on a store that does not keep them yet. */
  readonly packs?: PackBundleStore;
  /** Waivers and their audit log (store/waivers.ts; both stores share store/waiver-store.ts). */
  readonly waivers: WaiverStore;
  /** Apply pending migrations; returns the schema version now in force. */
  migrate(): Promise<number>;
  close(): Promise<void>;

  // agencies, users, tokens
  createAgency(name: string, parentName?: string): Promise<Agency>;
  listAgencies(): Promise<Agency[]>;
  /** By name (or numeric id as a string). */
  findAgency(ref: string): Promise<Agency | null>;
  createEnrollToken(input: { agencyName: string; tokenHash: string; expiresAt: string | null; uses: number; now: string }): Promise<{ agency: Agency; expiresAt: string | null; uses: number }>;
  createUser(input: { name: string; role: Role; agencyName?: string; tokenHash: string; now: string }): Promise<User>;
  findUserByTokenHash(tokenHash: string): Promise<User | null>;

  // agents and authentication
  /** Consume one use of the token and create the agent, atomically. Throws AppError ERR_ENROLL_*. */
  enrollAgent(input: EnrollInput): Promise<Agent>;
  getAgent(id: string): Promise<Agent | null>;
  /** By agent id, or by hostname (most recently enrolled non-revoked agent with that hostname). */
  findHost(ref: string): Promise<Agent | null>;
  listAgents(agencyName?: string): Promise<Agent[]>;
  /** Returns false when the agent does not exist; revoking twice keeps the first time. */
  revokeAgent(id: string, now: string): Promise<boolean>;
  /** Ids revoked at or after `since` (for closing live sockets revoked by another process). */
  revokedSince(since: string): Promise<Array<{ id: string; revokedAt: string }>>;
  createChallenge(agentId: string, nonce: string, expiresAt: string): Promise<void>;
  /** True once for a nonce issued for this agent and not expired; the nonce is consumed either way. */
  consumeChallenge(agentId: string, nonce: string, now: string): Promise<boolean>;
  recordHello(agentId: string, hello: { agentVersion: string; host: HostFacts; packs: PackRef[] }): Promise<void>;
  touchAgents(seen: Array<{ id: string; lastSeenAt: string; outboxDepth?: number; dropped?: number }>): Promise<void>;
  /** Set (or clear, with null) a host's exposure tag and re-tier its open BOD 26-04 findings, atomically; null when no such agent. */
  setHostExposure(agentId: string, exposure: HostExposure | null): Promise<ExposureChange | null>;

  // ingest
  /** One transaction: every frame is stored or none; idempotent by (agent, seq). */
  ingest(frames: IngestFrame[]): Promise<IngestOutcome[]>;

  // posture (waivers that count at `now` applied: store/waiver-effects.ts)
  posture(agencyId: number, now: string, dueSoonDays: number): Promise<Posture>;
  listHosts(agencyId: number, now: string, page: Page): Promise<Paged<HostSummary>>;
  hostDetail(agentId: string): Promise<HostDetail>;
  hostResults(agentId: string, page: Page, status?: CheckStatus): Promise<Paged<StoredResult>>;
  hostHistory(agentId: string, page: Page): Promise<Paged<StatusChange>>;
  /** Open findings a waiver covers at `now` carry `waived: true`. */
  listFindings(agencyId: number, now: string, filter: FindingsFilter, page: Page): Promise<Paged<Finding>>;

  // evidence (store/evidence-query.ts, store/cadence-query.ts: one implementation for both stores)
  /** The evidence model of an agency or some of its hosts, now or as of a past instant (`asOf`). Throws ERR_AGENCY_NOT_FOUND, ERR_NOT_FOUND (host), ERR_USAGE (future as-of). */
  agencyEvidence(options: AgencyEvidenceOptions): Promise<EvidenceModel>;
  /** Whether every host of the agency was assessed often enough over [from, to], per obligation. */
  agencyCadence(options: AgencyCadenceOptions): Promise<AgencyCadence[]>;

  // dashboard (server/store/sqlite/dashboard-queries.ts)
  /** Every agency with its parent, no counts (scope checks run this per request). */
  agencyTree(): Promise<AgencyNode[]>;
  listHostsFiltered(agencyId: number, filter: HostFilter, page: Page): Promise<Paged<HostSummary & { agency: string }>>;
  hostResultsFiltered(agentId: string, filter: ResultFilter, page: Page): Promise<Paged<StoredResult>>;
  /** Posture of an agency rolled up with the given agencies (its components). */
  postureRollup(agencyId: number, agencyIds: number[], now: string, dueSoonDays: number): Promise<Posture>;
  /** Figures of each agency alone (not rolled up); all agencies, or only `agencyIds`. */
  agencyFigures(now: string, onlineSince: string, agencyIds?: number[]): Promise<AgencyFigures[]>;
  /** Record today's own posture of every agency (upsert; cheap: reads the counters). */
  snapshotDailyPosture(day: string): Promise<void>;
  dailyPosture(fromDay: string): Promise<DailyPosture[]>;
  /** Hosts of the given agencies (all when null) with this rule in this status, longest-standing first; null when no such host could ever be shown (unknown rule). */
  ruleHosts(ruleId: string, agencyIds: number[] | null, status: CheckStatus, page: Page): Promise<{ rule: RuleInfo; page: Paged<RuleHost> } | null>;
  /** Revoke an API user's token at once; false when no such user. */
  revokeUser(name: string, now: string): Promise<boolean>;
  /** Non-revoked agents last seen in [from, to): the offline sweep publishes these as they go silent. */
  agentsLastSeenBetween(from: string, to: string): Promise<Array<{ agentId: string; agencyId: number; agency: string; hostname: string }>>;
}
