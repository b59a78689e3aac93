/**
 * Every rule of the shipped baseline has an expected verdict on every captured host, in one of
 * the section verdict tables (test/rules/*.verdicts.test.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPacks } from '../../agent/rules/load-packs.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { BASELINE_PACK } from '../helpers/baseline.js';

describe('baseline verdict coverage', () => {
  it('has a verdict row for every baseline rule and no row for a rule that does not exist', async () => {
    const { packs } = await loadPacks({ packFiles: [path.join(REPO_ROOT, BASELINE_PACK)] });
    const ids = packs[0]!.rules.map((r) => r.rule.id).sort();
    const dir = path.join(REPO_ROOT, 'test/rules');
    const rows = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.verdicts.test.ts'))) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/^\s+'(linux\.[a-z0-9.-]+)': '([PFNE] ){5}[PFNE]',?/gm)) rows.add(m[1]!);
    }
    expect(ids.filter((id) => !rows.has(id)), 'baseline rules without a verdict row').toEqual([]);
    expect([...rows].filter((id) => !ids.includes(id)), 'verdict rows for rules not in the baseline').toEqual([]);
  });
});
