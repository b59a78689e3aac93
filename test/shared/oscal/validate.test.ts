/**
 * The OSCAL validator itself: NIST's official examples are accepted (positive controls) and
 * mutated copies are rejected (negative controls), so a passing validation of our output means something.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AR_SCHEMA_FILE, defaultSchemaPath, oscalValidator } from '../../../shared/oscal/validate.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

// Copies of NIST's examples live in the repo (test/fixtures/oscal/README.md): tests never depend on
// files outside the checkout.
const DATA = path.join(REPO_ROOT, 'test/fixtures/oscal');
const SUMS: Record<string, string> = {
  'ifa_assessment-results-example.json': '13bde5421ac9f8986e293b74e7caa025fd1f61a4c55d94bb68dce44417ff0eb6',
  'ifa_assessment-results-example-min.json': '8a86008c9fcd697705df99d90ed007ba5fe7f2271314345ab33227a049727d77',
};
const examples = ['ifa_assessment-results-example.json', 'ifa_assessment-results-example-min.json'];
const load = (name: string) => JSON.parse(readFileSync(path.join(DATA, name), 'utf8')) as { 'assessment-results': Record<string, any> };
const validate = oscalValidator();

describe('OSCAL assessment-results validation', () => {
  it('uses a byte-identical copy of the official OSCAL 1.1.2 schema', () => {
    const copy = readFileSync(defaultSchemaPath());
    expect(createHash('sha256').update(copy).digest('hex')).toBe('d033da70154cf6625ae46a746199e88e58f2928b1387dfac051d381b92f41b0d');
    expect(path.basename(defaultSchemaPath())).toBe(AR_SCHEMA_FILE);
  });

  it('uses byte-identical copies of the official examples', () => {
    for (const [name, sum] of Object.entries(SUMS)) {
      expect(createHash('sha256').update(readFileSync(path.join(DATA, name))).digest('hex'), name).toBe(sum);
    }
  });

  for (const name of examples) {
    it(`accepts NIST's official example ${name}`, () => {
      const r = validate(load(name));
      expect(r.errors).toEqual([]);
      expect(r.valid).toBe(true);
    });
  }

  const mutations: Array<[string, (doc: ReturnType<typeof load>) => void]> = [
    ['a bad uuid', (d) => (d['assessment-results'].uuid = 'not-a-uuid')],
    ['a version 1 uuid', (d) => (d['assessment-results'].uuid = 'ec0dad37-54e0-10fd-a925-6d0bdea94c0d')],
    ['missing metadata', (d) => delete d['assessment-results'].metadata],
    ['an extra property', (d) => (d['assessment-results'].surprise = true)],
    ['an extra property deep inside a finding', (d) => (d['assessment-results'].results[0].findings[0].target.extra = 1)],
    ['a last-modified without a time zone', (d) => (d['assessment-results'].metadata['last-modified'] = '2024-02-01T13:57:28')],
    ['a last-modified that is not a date', (d) => (d['assessment-results'].metadata['last-modified'] = '1st of February')],
    ['a finding state outside the allowed values', (d) => (d['assessment-results'].results[0].findings[0].target.status.state = 'mostly-ok')],
    ['an observation without methods', (d) => delete d['assessment-results'].results[0].observations[0].methods],
    ['an empty results array', (d) => (d['assessment-results'].results = [])],
    ['a property value with a trailing space', (d) => (d['assessment-results'].metadata.props = [{ name: 'x', value: 'y ' }])],
  ];
  for (const [what, mutate] of mutations) {
    it(`rejects a copy of the official example with ${what}`, () => {
      const doc = load(examples[0]!);
      mutate(doc);
      const r = validate(doc);
      expect(r.valid).toBe(false);
      expect(r.errors.length).toBeGreaterThan(0);
    });
  }
});
