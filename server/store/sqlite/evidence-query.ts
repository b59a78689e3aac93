/**
 * @module The evidence model of an agency (or some of its hosts) from the collector's SQLite
 * database: the current result of every rule on every host with its evidence, the open finding's
 * first-seen and due dates, and the waivers that count now. The same exporters as `rampart scan`
 * (OSCAL, CSV, HTML) turn it into documents.
 */
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { EVIDENCE_MODEL_SCHEMA_ID, type EvidenceHost, type EvidenceModel, type EvidenceResult, type Waiver } from '../../../shared/evidence/model.js';
import { CheckStatusSchema, HostFactsSchema, PackRefSchema, RuleResultSchema, type PackRef, type RuleResult } from '../../../shared/result.js';
import { SeveritySchema } from '../../../shared/rule-pack.js';
import { VERSION } from '../../../shared/version.js';
import { waiverKey } from '../waivers.js';
import { SqliteWaivers } from './waivers.js';
import { sqliteAgencyCadence, type CadenceObligation } from './cadence-query.js';
import { parseDecision } from '../finding-clock.js';

export interface AgencyEvidenceOptions {
  /** Agency name or numeric id. */
  agency: string;
  /** Agent ids or hostnames of the agency; all its non-revoked hosts when absent. */
  hosts?: readonly string[];
  /** The current time; waivers and due dates are judged at it unless `asOf` is given. */
  now: string;
  /**
   * A past instant to rebuild the evidence at, from the status history: the hosts enrolled and not
   * revoked then, each rule's status then, the findings open then and the waivers that counted then.
   * Evidence bodies are kept only for the latest scan, so a result whose status changed or was scanned
   * again since carries no probe evidence, and says so.
   */
  asOf?: string;
  /** Add the assessment cadences over the `periodDays` days before the as-of time (default 30). */
  cadence?: { obligations: readonly CadenceObligation[]; periodDays?: number };
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

  const asOf = options.asOf === undefined ? undefined : new Date(Date.parse(options.asOf)).toISOString();
  if (asOf !== undefined && (Number.isNaN(Date.parse(asOf)) || Date.parse(asOf) > Date.parse(options.now))) {
    throw new AppError('ERR_USAGE', `as-of must be a past date-time, not ${options.asOf}`);
  }
  let agents = (
    asOf === undefined
      ? db.prepare('SELECT key, id, hostname, machine_id, host_facts, packs FROM agents WHERE agency_id = ? AND revoked_at IS NULL ORDER BY hostname, id').all(agency.id)
      : db
          .prepare('SELECT key, id, hostname, machine_id, host_facts, packs FROM agents WHERE agency_id = ? AND enrolled_at <= ? AND (revoked_at IS NULL OR revoked_at > ?) ORDER BY hostname, id')
          .all(agency.id, asOf, asOf)
  ) as AgentRow[];
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

  const at = asOf ?? options.now;
  const waivers = await new SqliteWaivers(db).waiversAt(agency.id, at);
  const resultStmt = db.prepare(
    `SELECT r.scanned_at, r.body, f.first_seen_at, f.due_at, f.tier_decision
       FROM results r
       JOIN rules ru ON ru.key = r.rule_key
       LEFT JOIN findings f ON f.agent_key = r.agent_key AND f.rule_key = r.rule_key AND f.resolved_at IS NULL
      WHERE r.agent_key = ?
      ORDER BY ru.id`,
  );
  const results: EvidenceResult[] = [];
  for (const a of agents) {
    if (asOf !== undefined) {
      results.push(...resultsAsOf(db, a, asOf, waivers));
      continue;
    }
    for (const row of resultStmt.all(a.key) as Array<{ scanned_at: string; body: string; first_seen_at: string | null; due_at: string | null; tier_decision: string | null }>) {
      const parsed = RuleResultSchema.safeParse(parseJson(row.body));
      if (!parsed.success) continue; // stored bodies were validated at ingest; skip anything unreadable rather than fail the export
      const r = parsed.data;
      const failing = r.status === 'fail';
      // A finding stays open through an error (only a pass or not-applicable resolves it), and so does its clock.
      const open = failing || r.status === 'error';
      const waiver = failing ? waivers.get(waiverKey(a.id, r.ruleId)) : undefined;
      results.push({
        ...r,
        hostId: a.id,
        collectedAt: row.scanned_at,
        ...(open && row.first_seen_at ? { firstSeenAt: row.first_seen_at } : {}),
        ...(open && row.due_at ? { dueAt: row.due_at } : {}),
        ...tierOf(open ? row.tier_decision : null),
        ...(waiver ? { waiver } : {}),
      });
    }
  }

  const scope = options.hosts && options.hosts.length === 1 ? 'host' : 'agency';
  const cadences = options.cadence
    ? sqliteAgencyCadence(db, {
        agency: agency.name,
        from: new Date(Date.parse(at) - (options.cadence.periodDays ?? 30) * 86_400_000).toISOString(),
        to: at,
        obligations: options.cadence.obligations,
      }).map((c) => ({ ...c, hosts: c.hosts.filter((h) => hosts.some((x) => x.id === h.hostId)) }))
    : undefined;
  return {
    schema: EVIDENCE_MODEL_SCHEMA_ID,
    assessment: {
      title:
        options.title ??
        `${agency.name}: ${scope === 'host' ? `${hosts[0]?.hostname ?? 'host'} ` : ''}network hardening posture${asOf !== undefined ? ` as of ${asOf}` : ''}`,
      scope,
      agency: { id: agency.name, name: agency.name },
      generatedAt: at,
      tool: { name: 'rampart', version: VERSION },
      packs: [...packs.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : x.version < y.version ? -1 : 1)),
    },
    hosts,
    results,
    ...(cadences && cadences.length ? { cadences } : {}),
  };
}

interface HistoryRow {
  rule_key: number;
  to_status: string;
  at: string;
}

/** One host's results as they stood at `asOf`, rebuilt from the status history (see AgencyEvidenceOptions.asOf). */
function resultsAsOf(db: Database, agent: AgentRow, asOf: string, waivers: Map<string, Waiver>): EvidenceResult[] {
  const latest = new Map<number, HistoryRow>();
  for (const h of db.prepare('SELECT rule_key, to_status, at FROM status_history WHERE agent_key = ? AND at <= ? ORDER BY id').all(agent.key, asOf) as HistoryRow[]) {
    latest.set(h.rule_key, h);
  }
  const current = db.prepare('SELECT scanned_at, changed_at, body FROM results WHERE agent_key = ? AND rule_key = ?');
  const ruleRow = db.prepare('SELECT id, pack_id, title, severity, clock_days, clock_directive, directives FROM rules WHERE key = ?');
  const finding = db.prepare(
    'SELECT first_seen_at, due_at, tier_decision FROM findings WHERE agent_key = ? AND rule_key = ? AND first_seen_at <= ? AND (resolved_at IS NULL OR resolved_at > ?) ORDER BY id DESC LIMIT 1',
  );
  const out: EvidenceResult[] = [];
  for (const [ruleKey, h] of latest) {
    const status = CheckStatusSchema.safeParse(h.to_status);
    if (!status.success) continue; // 'removed': the rule was no longer reported at that time
    const cur = current.get(agent.key, ruleKey) as { scanned_at: string; changed_at: string; body: string } | undefined;
    const body = cur ? RuleResultSchema.safeParse(parseJson(cur.body)) : undefined;
    let result: RuleResult;
    let collectedAt: string;
    if (cur && body?.success && Date.parse(cur.scanned_at) <= Date.parse(asOf)) {
      // The latest scan happened before asOf: its body is exactly the evidence as of then.
      result = body.data;
      collectedAt = cur.scanned_at;
    } else {
      const rule = ruleRow.get(ruleKey) as { id: string; pack_id: string; title: string; severity: string; clock_days: number | null; clock_directive: string | null; directives: string } | undefined;
      const meta = body?.success ? body.data : undefined;
      if (!rule && !meta) continue;
      const directives = (parseJson(rule?.directives ?? '[]') as string[] | undefined) ?? [];
      const severity = SeveritySchema.safeParse(meta?.severity ?? rule?.severity);
      result = {
        ruleId: meta?.ruleId ?? rule!.id,
        packId: meta?.packId ?? rule!.pack_id,
        title: meta?.title ?? rule!.title,
        severity: severity.success ? severity.data : 'medium',
        status: status.data,
        expected: meta?.expected ?? '',
        observed: `status ${status.data} recorded at ${h.at}; the evidence of that time is not retained (only the latest scan's evidence is kept)`,
        evidence: [],
        references: meta?.references ?? { directives, nist: [], stig: [], cis: [], cac: [], cve: [], other: [] },
        remediation: meta?.remediation ?? 'See the rule pack.',
        ...(meta?.clockDays !== undefined ? { clockDays: meta.clockDays } : rule?.clock_days ? { clockDays: rule.clock_days } : {}),
        ...(meta?.clockDirective !== undefined ? { clockDirective: meta.clockDirective } : rule?.clock_directive ? { clockDirective: rule.clock_directive } : {}),
        durationMs: 0,
      };
      collectedAt = h.at;
    }
    const failing = result.status === 'fail';
    const open = failing || result.status === 'error' ? (finding.get(agent.key, ruleKey, asOf, asOf) as { first_seen_at: string; due_at: string | null; tier_decision: string | null } | undefined) : undefined;
    const waiver = failing ? waivers.get(waiverKey(agent.id, result.ruleId)) : undefined;
    out.push({
      ...result,
      hostId: agent.id,
      collectedAt,
      ...(open ? { firstSeenAt: open.first_seen_at } : {}),
      ...(open?.due_at ? { dueAt: open.due_at } : {}),
      ...tierOf(open?.tier_decision ?? null),
      ...(waiver ? { waiver } : {}),
    });
  }
  return out.sort((x, y) => (x.ruleId < y.ruleId ? -1 : x.ruleId > y.ruleId ? 1 : 0));
}

/** The open finding's BOD 26-04 tier (findings.tier_decision), as the evidence result's `bod2604`. */
function tierOf(text: string | null): Pick<EvidenceResult, 'bod2604'> {
  const d = parseDecision(text);
  return d ? { bod2604: d } : {};
}
