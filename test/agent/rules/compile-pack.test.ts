import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePack } from '../../../agent/rules/compile-pack.js';
import { loadDirectives } from '../../../agent/rules/directives.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

const directives = await loadDirectives(path.join(REPO_ROOT, 'rules/directives.yaml'));
const broken = (name: string) => {
  const file = path.join(REPO_ROOT, 'test/fixtures/packs/broken', `${name}.yaml`);
  return compilePack(readFileSync(file, 'utf8'), file, { directives });
};

describe('compilePack', () => {
  it('compiles a valid pack with a sha256 digest of the file and parameter defaults applied', () => {
    const file = path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml');
    const { pack, issues } = compilePack(readFileSync(file, 'utf8'), file, { directives });
    expect(issues).toEqual([]);
    expect(pack?.ref).toMatchObject({ id: 'test-minimal', version: '1.0.0', ruleCount: 2 });
    expect(pack?.ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    const first = pack!.rules[0]!.check;
    expect(first.kind === 'probe' && first.rawParams).toEqual({ path: '/etc/passwd', maxMode: '0644' });
  });

  it('applies tailoring parameter values instead of defaults', () => {
    const file = path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml');
    const { pack } = compilePack(readFileSync(file, 'utf8'), file, { directives, parameterValues: { passwd_max_mode: '0600' } });
    const first = pack!.rules[0]!.check;
    expect(first.kind === 'probe' && first.rawParams).toEqual({ path: '/etc/passwd', maxMode: '0600' });
  });

  it.each([
    ['unknown-probe', 'ERR_PACK_UNKNOWN_PROBE', 'rules[0].check.probe'],
    ['bad-params', 'ERR_PACK_PROBE_PARAMS', 'rules[0].check.params.path'],
    ['duplicate-id', 'ERR_PACK_DUPLICATE_ID', 'rules[1].id'],
    ['unknown-directive', 'ERR_PACK_UNKNOWN_DIRECTIVE', 'rules[0].references.directives[0]'],
    ['unknown-field', 'ERR_PACK_UNKNOWN_FIELD', 'rules[0].check.expect.colour'],
    ['unknown-parameter', 'ERR_PACK_UNKNOWN_PARAMETER', 'rules[0].check.params.path.$param'],
    ['yaml-syntax', 'ERR_PACK_YAML', '(root)'],
    ['bad-severity', 'ERR_PACK_SCHEMA', 'rules[0].severity'],
  ])('reports %s as %s at %s, with a line number and no pack', (name, code, at) => {
    const { pack, issues } = broken(name);
    expect(pack).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code, path: at });
    expect(issues[0]!.line).toBeGreaterThan(0);
  });

  it('reports every problem at once, each with its rule id', () => {
    const { issues } = broken('many-problems');
    expect(issues.map((i) => [i.code, i.ruleId])).toEqual([
      ['ERR_PACK_UNKNOWN_DIRECTIVE', 'test.a.one'],
      ['ERR_PACK_UNKNOWN_PROBE', 'test.a.one'],
      ['ERR_PACK_PROBE_PARAMS', 'test.a.two'],
      ['ERR_PACK_DUPLICATE_ID', 'test.a.two'],
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    const { issues } = compilePack('- just\n- a list\n', 'x.yaml', { directives });
    expect(issues[0]!.code).toBe('ERR_PACK_SCHEMA');
  });

  it('rejects tailoring values for parameters the pack does not declare', () => {
    const file = path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml');
    const { issues } = compilePack(readFileSync(file, 'utf8'), file, { directives, parameterValues: { nope: 1 } });
    expect(issues[0]).toMatchObject({ code: 'ERR_TAILORING_INVALID', path: 'parameters.nope' });
  });
});
