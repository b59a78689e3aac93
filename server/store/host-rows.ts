/**
 * @module The agents row (store/sqlite/rows.ts, read by both stores with the same AGENT_SELECT)
 * mapped to what the dashboard and API show of a host: its summary and its detail.
 */
import type { HostDetail, HostSummary } from './store.js';
import { countsOf, type AgentRow } from './sqlite/rows.js';

export function hostSummary(r: AgentRow): HostSummary {
  return {
    agentId: r.id,
    hostname: r.hostname,
    os: r.os,
    agentVersion: r.agent_version,
    enrolledAt: r.enrolled_at,
    revoked: r.revoked_at !== null,
    lastSeenAt: r.last_seen_at,
    lastScanAt: r.last_scan_at,
    counts: countsOf(r),
    delivery: { maxSeq: r.max_seq, received: r.seq_count, missing: r.max_seq - r.seq_count, complete: r.seq_count === r.max_seq },
  };
}

/** The host part of HostDetail (the delivery gaps come from each dialect's own query). */
export function hostDetailOf(r: AgentRow): HostDetail['host'] {
  return {
    ...hostSummary(r),
    agency: r.agency_name,
    facts: r.host_facts === null ? null : JSON.parse(r.host_facts),
    packs: r.packs === null ? [] : JSON.parse(r.packs),
  };
}
