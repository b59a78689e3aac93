/**
 * @module Row shapes of the SQLite tables and their mapping to the Store's domain objects.
 */
import type { Agency, Agent, HostCounts, Role, User } from '../store.js';
import { exposureOf } from '../finding-clock.js';

export interface AgencyRow {
  id: number;
  name: string;
  parent_id: number | null;
  parent_name: string | null;
  created_at: string;
  host_count: number;
}

export interface AgentRow {
  key: number;
  id: string;
  agency_id: number;
  agency_name: string;
  public_key: string;
  hostname: string;
  machine_id: string | null;
  os: string | null;
  agent_version: string | null;
  host_facts: string | null;
  packs: string | null;
  enrolled_at: string;
  revoked_at: string | null;
  last_seen_at: string | null;
  last_scan_at: string | null;
  last_scan_id: string | null;
  max_seq: number;
  seq_count: number;
  n_pass: number;
  n_fail: number;
  n_error: number;
  n_na: number;
  outbox_depth: number | null;
  dropped: number | null;
  exposure: string | null;
}

export interface UserRow {
  id: number;
  name: string;
  role: Role;
  agency_id: number | null;
  agency_name: string | null;
  expires_at: string | null;
}

export const AGENT_SELECT = 'SELECT g.*, a.name AS agency_name FROM agents g JOIN agencies a ON a.id = g.agency_id';
export const AGENCY_SELECT =
  'SELECT a.id, a.name, a.parent_id, p.name AS parent_name, a.created_at, ' +
  '(SELECT COUNT(*) FROM agents g WHERE g.agency_id = a.id AND g.revoked_at IS NULL) AS host_count ' +
  'FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id';

export function toAgency(r: AgencyRow): Agency {
  return { id: r.id, name: r.name, parentId: r.parent_id, parentName: r.parent_name, createdAt: r.created_at, hostCount: r.host_count };
}

export function countsOf(r: Pick<AgentRow, 'n_pass' | 'n_fail' | 'n_error' | 'n_na'>): HostCounts {
  return { pass: r.n_pass, fail: r.n_fail, error: r.n_error, notApplicable: r.n_na };
}

export function toAgent(r: AgentRow): Agent {
  return {
    id: r.id,
    agencyId: r.agency_id,
    agencyName: r.agency_name,
    hostname: r.hostname,
    machineId: r.machine_id,
    os: r.os,
    agentVersion: r.agent_version,
    publicKey: r.public_key,
    enrolledAt: r.enrolled_at,
    revokedAt: r.revoked_at,
    lastSeenAt: r.last_seen_at,
    lastScanAt: r.last_scan_at,
    lastScanId: r.last_scan_id,
    maxSeq: r.max_seq,
    seqCount: r.seq_count,
    counts: countsOf(r),
    outboxDepth: r.outbox_depth,
    dropped: r.dropped,
    exposure: exposureOf(r.exposure),
  };
}

export function toUser(r: UserRow): User {
  return { id: r.id, name: r.name, role: r.role, agencyId: r.agency_id, agencyName: r.agency_name };
}
