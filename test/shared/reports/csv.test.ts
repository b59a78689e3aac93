/**
 * CSV of findings: RFC 4180 quoting, a guard against spreadsheet formulas, one row per finding.
 */
import { describe, expect, it } from 'vitest';
import { csvField, FINDINGS_CSV_COLUMNS, findingsCsv } from '../../../shared/reports/csv.js';
import { decideBod2604 } from '../../../shared/bod-26-04.js';
import { fleetModel } from '../../helpers/evidence-fleet.js';

/** A small RFC 4180 reader, to prove the output parses back to the same fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('findings CSV', () => {
  it('quotes fields with commas, quotes and line breaks as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(14)).toBe('14');
  });

  it('neutralises cells that a spreadsheet would run as a formula', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+SUM(A1)')).toBe("'+SUM(A1)");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    expect(csvField('a=b')).toBe('a=b');
  });

  it('has one row per failing rule on a host, waived ones marked, with the documented columns', () => {
    const text = findingsCsv(fleetModel());
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...FINDINGS_CSV_COLUMNS]);
    const body = rows.slice(1).map((r) => Object.fromEntries(FINDINGS_CSV_COLUMNS.map((c, i) => [c, r[i]])));
    expect(body).toHaveLength(9);
    expect(body.every((r) => r.status === 'fail' && Object.keys(r).length === FINDINGS_CSV_COLUMNS.length)).toBe(true);
    const waived = body.find((r) => r.waiver_id === 'W-7')!;
    expect(waived.verdict).toBe('waived');
    expect(waived.waiver_state).toBe('active');
    // The formula in the justification is neutralised, and the line break survives inside quotes.
    expect(waived.waiver_justification!.startsWith("'=HYPERLINK(")).toBe(true);
    expect(waived.waiver_justification).toContain('\nuntil Q1');
    const expired = body.find((r) => r.waiver_id === 'W-3')!;
    expect(expired.verdict).toBe('fail');
    expect(expired.due_state).toBe('due-soon');
    expect(body.find((r) => r.rule_id === 'linux.ssh.root-login-disabled' && r.host_id === 'host-web01')!.due_state).toBe('overdue');
    // The BOD 26-04 tier with its inputs; findings without one leave the columns empty.
    expect(body.find((r) => r.rule_id === 'linux.updates.security-pending')).toMatchObject({
      due_at: '2026-11-28T00:00:00.000Z',
      due_state: 'due-soon',
      bod2604_tier: 't3-forensics',
      forensic_triage: 'yes',
      exposure: 'unset',
      tier_inputs:
        'CVE-2024-0001: KEV no, automatable yes, technical impact partial: t14, 14 days; ' +
        'CVE-2025-3248: KEV yes (KEV due 2025-05-26), automatable no (directive default), technical impact total (directive default): t3-forensics, 3 days + forensic triage',
    });
    expect(body.find((r) => r.waiver_id === 'W-3')).toMatchObject({ bod2604_tier: '', forensic_triage: '', tier_inputs: '' });
  });

  it('says next-upgrade where a BOD 26-04 finding has no date', () => {
    const model = fleetModel();
    const r = model.results.find((x) => x.ruleId === 'linux.updates.security-pending' && x.hostId === 'host-web01')!;
    r.bod2604 = decideBod2604([{ cve: 'CVE-2024-0001', kev: false, automatable: 'no', technicalImpact: 'partial' }], 'internal');
    delete r.dueAt;
    const rows = parseCsv(findingsCsv(model));
    const row = Object.fromEntries(FINDINGS_CSV_COLUMNS.map((c, i) => [c, rows.find((x) => x[3] === r.ruleId)![i]]));
    expect(row).toMatchObject({ due_at: '', due_state: 'next-upgrade', bod2604_tier: 'next-upgrade', forensic_triage: 'no', exposure: 'internal' });
  });

  it('lists every result with all: true, and is the same bytes for the same input', () => {
    const rows = parseCsv(findingsCsv(fleetModel(), { all: true }));
    expect(rows).toHaveLength(1 + 48);
    expect(new Set(rows.slice(1).map((r) => r[6]))).toEqual(new Set(['pass', 'fail', 'error', 'not-applicable']));
    expect(findingsCsv(fleetModel())).toBe(findingsCsv(fleetModel()));
  });
});
