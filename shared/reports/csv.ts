/**
 * @module CSV of findings from the evidence model: RFC 4180 (CRLF, fields quoted when needed, quotes
 * doubled) with a guard against spreadsheet formula injection. Columns are documented in docs/evidence.md.
 */
import { parseEvidenceModel, type EvidenceModel, type EvidenceResult } from '../evidence/model.js';
import { dueStateOf, sortedModel, verdictOf, waiverState } from '../evidence/verdict.js';
import { cveInputWords } from '../bod-26-04.js';

/** Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection guidance). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: formula-looking text gets a leading apostrophe, then RFC 4180 quoting. */
export function csvField(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(fields: ReadonlyArray<string | number | boolean | undefined | null>): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export const FINDINGS_CSV_COLUMNS = [
  'agency_id',
  'host_id',
  'hostname',
  'rule_id',
  'title',
  'severity',
  'status',
  'verdict',
  'directives',
  'nist_800_53',
  'stig',
  'cis',
  'cac',
  'expected',
  'observed',
  'error_code',
  'collected_at',
  'first_seen_at',
  'clock_days',
  'clock_directive',
  'due_at',
  'due_state',
  'bod2604_tier',
  'forensic_triage',
  'exposure',
  'tier_inputs',
  'waiver_id',
  'waiver_state',
  'waiver_approver',
  'waiver_risk',
  'waiver_expiry',
  'waiver_justification',
  'pack_id',
  'pack_version',
  'pack_sha256',
  'remediation',
] as const;

export interface FindingsCsvOptions {
  /** Every result, not only the findings (failures, waived or not). Default false. */
  all?: boolean;
}

/**
 * The findings of an evidence model as CSV: one row per failing rule on a host (waived failures
 * included, with verdict `waived`), sorted by host then rule. With `all`, one row per result.
 */
export function findingsCsv(input: EvidenceModel, options: FindingsCsvOptions = {}): string {
  const model = sortedModel(parseEvidenceModel(input));
  const asOf = model.assessment.generatedAt;
  const hosts = new Map(model.hosts.map((h) => [h.id, h]));
  const packs = new Map(model.assessment.packs.map((p) => [p.id, p]));
  const rows = model.results.filter((r) => options.all || r.status === 'fail');
  let out = csvRow(FINDINGS_CSV_COLUMNS);
  for (const r of rows) out += csvRow(row(r));
  return out;

  function row(r: EvidenceResult): Array<string | number | undefined> {
    const pack = packs.get(r.packId);
    const w = r.waiver;
    return [
      model.assessment.agency?.id,
      r.hostId,
      hosts.get(r.hostId)?.hostname,
      r.ruleId,
      r.title,
      r.severity,
      r.status,
      verdictOf(r, asOf),
      r.references.directives.join(' '),
      r.references.nist.join(' '),
      r.references.stig.join(' '),
      r.references.cis.join('; '),
      r.references.cac.join(' '),
      r.expected,
      r.observed,
      r.error?.code,
      r.collectedAt,
      r.firstSeenAt,
      r.clockDays,
      r.clockDirective,
      r.dueAt,
      // A "next upgrade" tier has no date: say so instead of leaving the due state empty.
      dueStateOf(r, asOf) ?? (r.status === 'fail' && !r.dueAt && r.bod2604?.days === null ? 'next-upgrade' : undefined),
      r.bod2604?.tier,
      r.bod2604 ? (r.bod2604.forensicTriage ? 'yes' : 'no') : undefined,
      r.bod2604?.exposure,
      r.bod2604?.cves.map(cveInputWords).join('; '),
      w?.id,
      w ? waiverState(w, asOf) : undefined,
      w?.approver,
      w?.risk,
      w?.expiry,
      w?.justification,
      r.packId,
      pack?.version,
      pack?.sha256,
      r.remediation,
    ];
  }
}
