/**
 * `rampart scan --format oscal|csv|html` end to end: the built CLI (npm test builds it first) on a
 * captured host; the OSCAL it prints validates against the official schema.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oscalValidator } from '../../../shared/oscal/validate.js';
import { REPO_ROOT, fixtureRoot } from '../../helpers/fixtures.js';

const CLI = path.join(REPO_ROOT, 'dist/rampart.js');
const pack = (name: string) => path.join(REPO_ROOT, 'test/fixtures/packs', `${name}.yaml`);
const validate = oscalValidator();

function rampart(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsup\` (npm test builds it) before this suite`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', RAMPART_FIXTURE_ROOT: fixtureRoot('debian12-default') },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type J = Record<string, any>;

describe('rampart scan evidence formats', () => {
  it('prints OSCAL assessment results that validate, for a passing pack', () => {
    const r = rampart(['scan', '--pack', pack('minimal'), '--format', 'oscal']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as J;
    expect(validate(doc).errors).toEqual([]);
    const res = doc['assessment-results'].results[0];
    expect(res['local-definitions']['inventory-items'][0].props.find((p: J) => p.name === 'hostname').value).toBe('deb12-web01');
    expect(res.observations).toHaveLength(2);
  });

  it('prints OSCAL that validates with failures, and --validate checks it in the CLI', () => {
    const r = rampart(['scan', '--pack', pack('failing'), '--pack', pack('minimal'), '--format', 'oscal', '--validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as J;
    expect(validate(doc).errors).toEqual([]);
    const res = doc['assessment-results'].results[0];
    expect(res.risks.length).toBeGreaterThan(0);
    expect(res.risks.every((x: J) => x.status === 'open')).toBe(true);
  });

  it('prints the failing rules as CSV and a self-contained HTML report', () => {
    const csv = rampart(['scan', '--pack', pack('failing'), '--format', 'csv']);
    expect(csv.code).toBe(1);
    const lines = csv.stdout.split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^agency_id,host_id,hostname,rule_id,/);
    expect(lines.slice(1).every((l) => l.includes(',fail,'))).toBe(true);
    const html = rampart(['scan', '--pack', pack('failing'), '--format', 'html']);
    expect(html.code).toBe(1);
    expect(html.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.stdout).toContain('Rampart scan of deb12-web01');
  });

  it('rejects --validate with a format other than oscal (usage error, exit 2)', () => {
    const r = rampart(['scan', '--pack', pack('minimal'), '--format', 'csv', '--validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ERR_USAGE');
  });
});
