/**
 * @module bench/evidence: time the evidence exports (OSCAL, schema validation, CSV, HTML) for a
 * synthetic agency of H hosts x R rules. Usage (from the repository root): node bench/evidence/run.mjs [hosts] [rules]
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EvidenceModel, EvidenceResult } from '../../shared/evidence/model.js';
import { evidenceToOscal } from '../../shared/oscal/from-evidence.js';
import { AR_SCHEMA_FILE, oscalValidator } from '../../shared/oscal/validate.js';
import { findingsCsv } from '../../shared/reports/csv.js';
import { htmlReport } from '../../shared/reports/html.js';

const hosts = Number(process.argv[2] ?? 200);
const rules = Number(process.argv[3] ?? 100);
const NIST = ['SC-7', 'CM-7', 'AC-17(2)', 'SC-13', 'AU-2', 'SI-4', 'IA-5(1)', 'SC-8', 'CM-6', 'SI-2'];
const STATUSES = ['pass', 'pass', 'pass', 'fail', 'pass', 'not-applicable', 'pass', 'error', 'pass', 'fail'] as const;

function model(): EvidenceModel {
  const results: EvidenceResult[] = [];
  for (let h = 0; h < hosts; h++) {
    for (let r = 0; r < rules; r++) {
      const status = STATUSES[(h * 7 + r * 3) % STATUSES.length]!;
      results.push({
        ruleId: `bench.rule.r${r}`, packId: 'bench', title: `Bench rule ${r}`, severity: (['low', 'medium', 'high', 'critical'] as const)[r % 4]!,
        status, expected: 'value == 0', observed: status === 'fail' ? 'value = 1' : 'value = 0',
        evidence: [{ probe: 'sysctl', params: { key: `net.k${r}` }, status, expected: 'runtime == 0', observed: { runtime: status === 'fail' ? 1 : 0 }, sources: [`/proc/sys/net/k${r}`] }],
        references: { directives: ['BOD-23-02'], nist: [NIST[r % NIST.length]!, NIST[(r + 3) % NIST.length]!], stig: [], cis: [], cac: [], cve: [], other: [] },
        remediation: 'Fix it.', clockDays: 14, clockDirective: 'BOD-23-02', durationMs: 1,
        hostId: `h${h}`, collectedAt: '2026-11-26T11:00:00.000Z',
        ...(status === 'fail' ? { firstSeenAt: '2026-11-01T00:00:00.000Z', dueAt: '2026-11-15T00:00:00.000Z' } : {}),
        ...(status === 'error' ? { error: { code: 'ERR_PROBE_FAILED', message: 'x' } } : {}),
      });
    }
  }
  return {
    schema: 'rampart.evidence/1',
    assessment: { title: 'bench', scope: 'agency', agency: { id: 'a', name: 'Agency' }, generatedAt: '2026-11-26T12:00:00.000Z', tool: { name: 'rampart', version: '0.1.0' }, packs: [{ id: 'bench', title: 'Bench', version: '1.0.0', sha256: 'c'.repeat(64), ruleCount: rules }] },
    hosts: Array.from({ length: hosts }, (_, h) => ({ id: `h${h}`, hostname: `host${h}.example.gov`, os: { id: 'debian', versionId: '12' } })),
    results,
  };
}

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  console.log(`${label.padEnd(34)} ${(performance.now() - t0).toFixed(0).padStart(7)} ms`);
  return out;
}

const m = model();
console.log(`${hosts} hosts x ${rules} rules = ${m.results.length} results`);
const doc = time('evidenceToOscal', () => evidenceToOscal(m));
const text = time('JSON.stringify (2-space)', () => JSON.stringify(doc, null, 2));
console.log(`${'OSCAL size'.padEnd(34)} ${(text.length / 1e6).toFixed(1).padStart(7)} MB`);
const validate = time('Ajv compile (once per process)', () => oscalValidator(path.resolve('shared/oscal/schema', AR_SCHEMA_FILE)));
const v = time('Ajv validate', () => validate(doc));
if (!v.valid) throw new Error(v.errors.slice(0, 3).join('; '));
time('findingsCsv', () => findingsCsv(m));
const html = time('htmlReport (with appendix)', () => htmlReport(m));
console.log(`${'HTML size'.padEnd(34)} ${(html.length / 1e6).toFixed(1).padStart(7)} MB`);
console.log(`${'peak RSS'.padEnd(34)} ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(7)} MB`);
