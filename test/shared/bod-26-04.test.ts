import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOD_26_04_TABLE_1, bod2604Deadline, decideBod2604, tierWords } from '../../shared/bod-26-04.js';
import { DecisionTableSchema } from '../../shared/directive.js';
import { loadDirectives } from '../../agent/rules/directives.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

// BOD 26-04 Table 1 as printed in the reference catalog (checks.md, "BOD 26-04 Table 1"), written out
// again here by hand so the data module is checked against the source, not against itself.
const TABLE_1: Array<[kev: boolean, exposed: boolean, automatable: boolean, impact: 'partial' | 'total', days: number | null, forensics: boolean]> = [
  [true, true, true, 'total', 3, true],
  [true, true, false, 'total', 3, true],
  [true, false, true, 'total', 3, true],
  [true, true, true, 'partial', 3, false],
  [false, true, true, 'total', 3, false],
  [true, true, false, 'partial', 14, false],
  [true, false, true, 'partial', 14, false],
  [true, false, false, 'total', 14, false],
  [true, false, false, 'partial', 14, false],
  [false, true, true, 'partial', 14, false],
  [false, true, false, 'total', 14, false],
  [false, true, false, 'partial', 60, false],
  [false, false, true, 'total', 60, false],
  [false, false, true, 'partial', 60, false],
  [false, false, false, 'total', null, false],
  [false, false, false, 'partial', null, false],
];

describe('BOD 26-04 Table 1', () => {
  it('lists all 16 combinations of the four inputs exactly once', () => {
    const keys = new Set(TABLE_1.map(([k, e, a, i]) => `${k}/${e}/${a}/${i}`));
    expect(keys.size).toBe(16);
    expect(BOD_26_04_TABLE_1.rows).toHaveLength(16);
  });

  it.each(TABLE_1)('kev=%s exposed=%s automatable=%s impact=%s → %s days, forensic triage %s', (kev, exposed, automatable, impact, days, forensics) => {
    const d = bod2604Deadline({ kev, exposure: exposed ? 'internet' : 'internal', automatable, impact });
    expect(d.days).toBe(days);
    expect(d.forensicTriage).toBe(forensics);
    expect(d.tier).toBe(days === null ? 'next-upgrade' : forensics ? 't3-forensics' : `t${days}`);
  });

  it('treats a host without an exposure tag as exposed (every combination)', () => {
    for (const [kev, , automatable, impact] of TABLE_1) {
      expect(bod2604Deadline({ kev, exposure: 'unset', automatable, impact })).toEqual(bod2604Deadline({ kev, exposure: 'internet', automatable, impact }));
    }
  });

  it('the schema refuses a table with a missing or repeated combination, or an unknown tier', () => {
    const rows = BOD_26_04_TABLE_1.rows;
    const repeated = { ...BOD_26_04_TABLE_1, rows: [...rows.slice(0, 15), rows[0]] };
    expect(DecisionTableSchema.safeParse(repeated).error?.issues[0]?.message).toMatch(/appears twice/);
    expect(DecisionTableSchema.safeParse({ ...BOD_26_04_TABLE_1, rows: rows.slice(1) }).success).toBe(false);
    const unknown = { ...BOD_26_04_TABLE_1, rows: rows.map((r, i) => (i === 3 ? { ...r, tier: 't7' } : r)) };
    expect(DecisionTableSchema.safeParse(unknown).error?.issues[0]?.message).toBe('unknown tier t7');
  });

  it('rules/directives.yaml describes the same tiers (ids, days, forensic triage) for BOD-26-04', async () => {
    const bod = (await loadDirectives(path.join(REPO_ROOT, 'rules/directives.yaml'))).get('BOD-26-04')!;
    expect(bod.tiers?.map((t) => [t.id, t.days, t.forensicTriage ?? false])).toEqual(BOD_26_04_TABLE_1.tiers.map((t) => [t.id, t.days, t.forensicTriage]));
  });
});

describe('a finding tier over its CVEs', () => {
  it('takes the tightest CVE, applies the directive defaults (automatable no, impact total) and says so', () => {
    const d = decideBod2604(
      [
        { cve: 'CVE-2024-0002', kev: false, automatable: 'yes', technicalImpact: 'partial' },
        { cve: 'CVE-2024-0001', kev: true, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' },
      ],
      'internal',
    )!;
    // KEV, internal, default not automatable, default total impact → 14 days; the other CVE: 60 days.
    expect(d).toMatchObject({ tier: 't14', days: 14, forensicTriage: false, exposure: 'internal', exposed: false, decidedBy: 'CVE-2024-0001' });
    expect(d.cves.map((c) => [c.cve, c.tier, c.defaulted])).toEqual([
      ['CVE-2024-0001', 't14', ['automatable', 'impact']],
      ['CVE-2024-0002', 't60', []],
    ]);
    expect(d.cves[0]).toMatchObject({ automatable: 'no', impact: 'total', kevDueDate: '2025-05-26' });
  });

  it('an unset exposure counts as exposed, and a CVE without a KEV catalog counts as listed', () => {
    const d = decideBod2604([{ cve: 'CVE-2024-0001', kev: null }], null)!;
    expect(d).toMatchObject({ tier: 't3-forensics', days: 3, forensicTriage: true, exposure: 'unset', exposed: true });
    expect(d.cves[0]!.defaulted).toEqual(['kev', 'automatable', 'impact']);
  });

  it('gives "next upgrade" (no date) only when every CVE is that loose', () => {
    const d = decideBod2604([{ cve: 'CVE-2024-0001', kev: false, automatable: 'no', technicalImpact: 'partial' }], 'internal')!;
    expect(d).toMatchObject({ tier: 'next-upgrade', days: null });
    expect(tierWords(d)).toBe('next system upgrade');
    expect(tierWords({ days: 3, forensicTriage: true })).toBe('3 days + forensic triage');
    expect(decideBod2604([], 'internet')).toBeUndefined();
  });

  it('merges the same CVE from two checks, a KEV listing winning', () => {
    const d = decideBod2604(
      [
        { cve: 'CVE-2024-0001', kev: false },
        { cve: 'CVE-2024-0001', kev: true, kevDueDate: '2025-01-01' },
      ],
      'internal',
    )!;
    expect(d.cves).toHaveLength(1);
    expect(d.cves[0]).toMatchObject({ kev: true, kevDueDate: '2025-01-01', tier: 't14' });
  });
});
