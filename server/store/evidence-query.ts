/**
 * @module The evidence model of an agency (or some of its hosts) from the collector's store, either
 * database (through a SqlReader, in one snapshot): the current result of every rule on every host
 * with its evidence, the open finding's first-seen and due dates, and the waivers that count now; or
 * all of it as of a past instant, from the status history. The same exporters as `rampart scan`
 * (OSCAL, CSV, HTML) turn it into documents.
 */
import { AppError } from '../../shared/errors.js';
import { EVIDENCE_MODEL_SCHEMA_ID, type EvidenceHost, type EvidenceModel, type EvidenceResult, type Waiver } from '../../shared/evidence/model.js';
import { CheckStatusSchema, HostFactsSchema, PackRefSchema, RuleResultSchema, type PackRef, type RuleResult } from '../../shared/result.js';
import { SeveritySchema } from '../../shared/rule-pack.js';
import { VERSION } from '../../shared/version.js';
import { agencyCadence, type CadenceObligation } from './cadence-query.js';
import { agencyByRef, type SqlReader } from './sql-reader.js';
import { waiverKey } from './waivers.js';
import { waiversAsOf } from './waivers-as-of.js';
import { parseDecision } from './finding-clock.js';

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

const AGENT_SELECT = 'SELECT key, id, hostname, machine_id, host_facts, packs FROM agents WHERE agency_id = ?';

const UUID_V4_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The evidence model of an agency (or some of its hosts), now or as of a past instant; read in one snapshot. */
export function agencyEvidence(reader: SqlReader, options: AgencyEvidenceOptions): Promise<EvidenceModel> {
  return reader.snapshot((r) => buildEvidence(r, options));
}

async function buildEvidence(reader: SqlReader, options: AgencyEvidenceOptions): Promise<EvidenceModel> {
  const agency = await agencyByRef(reader, options.agency);
  if (!agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${options.agency}" does not exist`);

  const asOfMs = options.asOf === undefined ? undefined : Date.parse(options.asOf);
  if (asOfMs !== undefined && (Number.isNaN(asOfMs) || asOfMs > Date.parse(options.now))) {
    throw new AppError('ERR_USAGE', `as-of must be a past date-time, not ${options.asOf}`);
  }
  const asOf = asOfMs === undefined ? undefined : new Date(asOfMs).toISOString();
  let agents =
    asOf === undefined
      ? await reader.all<AgentRow>(`${AGENT_SELECT} AND revoked_at IS NULL ORDER BY hostname, id`, [agency.id])
      : await reader.all<AgentRow>(`${AGENT_SELECT} AND enrolled_at <= ? AND (revoked_at IS NULL OR revoked_at > ?) ORDER BY hostname, id`, [agency.id, asOf, asOf]);
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
  const waivers = await waiversAsOf(reader, agency.id, at);
  const results: EvidenceResult[] = [];
  const rules = asOf === undefined ? undefined : await ruleCatalog(reader);
  for (const a of agents) {
    if (asOf !== undefined) {
      results.push(...(await resultsAsOf(reader, a, asOf, waivers, rules!)));
      continue;
    }
    const rows = await reader.all<{ scanned_at: string; body: string; first_seen_at: string | null; due_at: string | null; tier_decision: string | null }>(
      `SELECT r.scanned_at, r.body, f.first_seen_at, f.due_at, f.tier_decision
         FROM results r
         JOIN rules ru ON ru.key = r.rule_key
         LEFT JOIN findings f ON f.agent_key = r.agent_key AND f.rule_key = r.rule_key AND f.resolved_at IS NULL
        WHERE r.agent_key = ?
        ORDER BY ru.id`,
      [a.key],
    );
    for (const row of rows) {
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
    ? (
        await agencyCadence(reader, {
          agency: agency.name,
          from: new Date(Date.parse(at) - (options.cadence.periodDays ?? 30) * 86_400_000).toISOString(),
          to: at,
          obligations: options.cadence.obligations,
        })
      ).map((c) => ({ ...c, hosts: c.hosts.filter((h) => hosts.some((x) => x.id === h.hostId)) }))
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

interface RuleRow {
  key: number;
  id: string;
  pack_id: string;
  title: string;
  severity: string;
  clock_days: number | null;
  clock_directive: string | null;
  directives: string;
}

/** Every rule the collector has seen, by key (a few hundred rows: read once per as-of document). */
async function ruleCatalog(reader: SqlReader): Promise<Map<number, RuleRow>> {
  const rows = await reader.all<RuleRow>('SELECT key, id, pack_id, title, severity, clock_days, clock_directive, directives FROM rules');
  return new Map(rows.map((r) => [r.key, r]));
}

/**
 * One host's results as they stood at `asOf`, rebuilt from the status history (see
 * AgencyEvidenceOptions.asOf): four reads per host, whatever its number of rules.
 */
async function resultsAsOf(reader: SqlReader, agent: AgentRow, asOf: string, waivers: Map<string, Waiver>, rules: Map<number, RuleRow>): Promise<EvidenceResult[]> {
  const latest = new Map<number, { to_status: string; at: string }>();
  for (const h of await reader.all<{ rule_key: number; to_status: string; at: string }>('SELECT rule_key, to_status, at FROM status_history WHERE agent_key = ? AND at <= ? ORDER BY id', [agent.key, asOf])) {
    latest.set(h.rule_key, h);
  }
  const current = new Map(
    (await reader.all<{ rule_key: number; scanned_at: string; body: string }>('SELECT rule_key, scanned_at, body FROM results WHERE agent_key = ?', [agent.key])).map((r) => [r.rule_key, r]),
  );
  // The finding open at asOf per rule: the latest one that had started and not yet been resolved.
  const findings = new Map<number, { first_seen_at: string; due_at: string | null; tier_decision: string | null }>();
  for (const f of await reader.all<{ rule_key: number; first_seen_at: string; due_at: string | null; tier_decision: string | null }>(
    'SELECT rule_key, first_seen_at, due_at, tier_decision FROM findings WHERE agent_key = ? AND first_seen_at <= ? AND (resolved_at IS NULL OR resolved_at > ?) ORDER BY id',
    [agent.key, asOf, asOf],
  )) {
    findings.set(f.rule_key, f);
  }
  const out: EvidenceResult[] = [];
  for (const [ruleKey, h] of latest) {
    const status = CheckStatusSchema.safeParse(h.to_status);
    if (!status.success) continue; // 'removed': the rule was no longer reported at that time
    const cur = current.get(ruleKey);
    const body = cur ? RuleResultSchema.safeParse(parseJson(cur.body)) : undefined;
    let result: RuleResult;
    let collectedAt: string;
    if (cur && body?.success && Date.parse(cur.scanned_at) <= Date.parse(asOf)) {
      // The latest scan happened before asOf: its body is exactly the evidence as of then.
      result = body.data;
      collectedAt = cur.scanned_at;
    } else {
      const rule = rules.get(ruleKey);
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
    const open = failing || result.status === 'error' ? findings.get(ruleKey) : undefined;
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
