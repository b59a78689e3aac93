/**
 * @module The evidence model of an agency (or some of its hosts) from the collector's SQLite
 * database: the current result of every rule on every host with its evidence, the open finding's
 * first-seen and due dates, and the waivers that count now. The same exporters as `rampart scan`
 * (OSCAL, CSV, HTML) turn it into documents.
 */
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { EVIDENCE_MODEL_SCHEMA_ID, type EvidenceHost, type EvidenceModel, type EvidenceResult } from '../../../shared/evidence/model.js';
import { HostFactsSchema, PackRefSchema, RuleResultSchema, type PackRef } from '../../../shared/result.js';
import { VERSION } from '../../../shared/version.js';
import { waiverKey } from '../waivers.js';
import { SqliteWaivers } from './waivers.js';

export interface AgencyEvidenceOptions {
  /** Agency name or numeric id. */
  agency: string;
  /** Agent ids or hostnames of the agency; all its non-revoked hosts when absent. */
  hosts?: readonly string[];
  /** The instant the document describes; waivers and due dates are judged at it. Only "now" is supported yet. */
  now: string;
  title?: string;
}

interface AgentRow {
  key: number;
  id: string;
  hostname: string;
  machine_id: string | null;
  host_facts: string | null;
  packs: string | null;
}

const UUID_V4_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function sqliteAgencyEvidence(db: Database, options: AgencyEvidenceOptions): Promise<EvidenceModel> {
  const agency = (db.prepare('SELECT id, name FROM agencies WHERE name = ?').get(options.agency) ??
    (/^\d+$/.test(options.agency) ? db.prepare('SELECT id, name FROM agencies WHERE id = ?').get(Number(options.agency)) : undefined)) as { id: number; name: string } | undefined;
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${options.agency}" does not exist`);

  let agents = db
    .prepare('SELECT key, id, hostname, machine_id, host_facts, packs FROM agents WHERE agency_id = ? AND revoked_at IS NULL ORDER BY hostname, id')
    .all(agency.id) as AgentRow[];
  if (options.hosts && options.hosts.length > 0) {
    const wanted = options.hosts.map((ref) => {
      const hit = agents.find((a) => a.id === ref) ?? agents.find((a) => a.hostname === ref);
      if (!hit) throw new AppError('ERR_NOT_FOUND', `no host "${ref}" in agency "${agency.name}"`);
      return hit.id;
    });
    agents = agents.filter((a) => wanted.includes(a.id));
  }

  const packs = new Map<string, PackRef>();
  const hosts: EvidenceHost[] = agents.map((a) => {
    const facts = HostFactsSchema.safeParse(parseJson(a.host_facts));
    for (const p of (parseJson(a.packs) as unknown[] | undefined) ?? []) {
      const ref = PackRefSchema.safeParse(p);
      if (ref.success) packs.set(`${ref.data.id}@${ref.data.version}@${ref.data.sha256}`, ref.data);
    }
    const f = facts.success ? facts.data : undefined;
    return {
      id: a.id,
      ...(UUID_V4_V5.test(a.id) ? { uuid: a.id.toLowerCase() } : {}),
      hostname: a.hostname,
      ...(a.machine_id ? { machineId: a.machine_id } : {}),
      os: f ? { id: f.os.id, ...(f.os.versionId ? { versionId: f.os.versionId } : {}), ...(f.os.prettyName ? { prettyName: f.os.prettyName } : {}) } : { id: 'unknown' },
      ...(f?.kernel ? { kernel: f.kernel } : {}),
      ...(f?.arch ? { arch: f.arch } : {}),
      ...(f ? { mode: f.mode, container: f.container } : {}),
    };
  });

  const waivers = await new SqliteWaivers(db).waiversAt(agency.id, options.now);
  const resultStmt = db.prepare(
    `SELECT r.scanned_at, r.body, f.first_seen_at, f.due_at
       FROM results r
       JOIN rules ru ON ru.key = r.rule_key
       LEFT JOIN findings f ON f.agent_key = r.agent_key AND f.rule_key = r.rule_key AND f.resolved_at IS NULL
      WHERE r.agent_key = ?
      ORDER BY ru.id`,
  );
  const results: EvidenceResult[] = [];
  for (const a of agents) {
    for (const row of resultStmt.all(a.key) as Array<{ scanned_at: string; body: string; first_seen_at: string | null; due_at: string | null }>) {
      const parsed = RuleResultSchema.safeParse(parseJson(row.body));
      if (!parsed.success) continue; // stored bodies were validated at ingest; skip anything unreadable rather than fail the export
      const r = parsed.data;
      const failing = r.status === 'fail';
      const waiver = failing ? waivers.get(waiverKey(a.id, r.ruleId)) : undefined;
      results.push({
        ...r,
        hostId: a.id,
        collectedAt: row.scanned_at,
        ...(failing && row.first_seen_at ? { firstSeenAt: row.first_seen_at } : {}),
        ...(failing && row.due_at ? { dueAt: row.due_at } : {}),
        ...(waiver ? { waiver } : {}),
      });
    }
  }

  const scope = options.hosts && options.hosts.length === 1 ? 'host' : 'agency';
  return {
    schema: EVIDENCE_MODEL_SCHEMA_ID,
    assessment: {
      title: options.title ?? (scope === 'host' ? `${agency.name}: ${hosts[0]?.hostname ?? 'host'} network hardening posture` : `${agency.name}: network hardening posture`),
      scope,
      agency: { id: agency.name, name: agency.name },
      generatedAt: options.now,
      tool: { name: 'rampart', version: VERSION },
      packs: [...packs.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : x.version < y.version ? -1 : 1)),
    },
    hosts,
    results,
  };
}
