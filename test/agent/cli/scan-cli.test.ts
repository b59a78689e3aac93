/**
 * `rampart scan` end to end: the built CLI in a child process against captured hosts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScanReportSchema } from '../../../shared/result.js';
import { REPO_ROOT, fixtureRoot } from '../../helpers/fixtures.js';

const CLI = path.join(REPO_ROOT, 'dist/rampart.js');
const pack = (name: string) => path.join(REPO_ROOT, 'test/fixtures/packs', `${name}.yaml`);

function rampart(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rampart scan', () => {
  it('prints a table grouped by directive with a summary line, and exits 0 when nothing fails', () => {
    const r = rampart(['scan', '--pack', pack('minimal')], { RAMPART_FIXTURE_ROOT: fixtureRoot('debian12-default') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('M-22-09');
    expect(r.stdout).toMatch(/Summary: 2 rules: 2 pass, 0 fail/);
  });

  it('emits a JSON document that matches the published schema', () => {
    const r = rampart(['scan', '--pack', pack('minimal'), '--format', 'json'], { RAMPART_FIXTURE_ROOT: fixtureRoot('debian12-default') });
    expect(r.code).toBe(0);
    const report = ScanReportSchema.parse(JSON.parse(r.stdout));
    expect(report.host.hostname).toBe('deb12-web01');
    expect(report.results.every((x) => x.expected !== undefined && x.observed !== undefined)).toBe(true);
  });

  it('exits 1 on failures, and --fail-on raises the threshold', () => {
    const env = { RAMPART_FIXTURE_ROOT: fixtureRoot('debian12-default') };
    expect(rampart(['scan', '--pack', pack('failing')], env).code).toBe(1);
    expect(rampart(['scan', '--pack', pack('failing'), '--fail-on', 'high'], env).code).toBe(1);
    expect(rampart(['scan', '--pack', pack('failing'), '--fail-on', 'critical'], env).code).toBe(0);
  });

  it('lists the remediation of what fails', () => {
    const r = rampart(['scan', '--pack', pack('failing')], { RAMPART_FIXTURE_ROOT: fixtureRoot('debian12-default') });
    expect(r.stdout).toContain('How to fix what fails');
    expect(r.stdout).toContain('Create /no/such/file.');
    expect(r.stdout).toContain('directive clock: 14 days, BOD-23-02');
  });

  it('exits 2 with a coded error for bad usage and broken packs', () => {
    const usage = rampart(['scan', '--format', 'xml']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('ERR_USAGE');
    const brokenPack = rampart(['scan', '--pack', path.join(REPO_ROOT, 'test/fixtures/packs/broken/unknown-probe.yaml')]);
    expect(brokenPack.code).toBe(2);
    expect(brokenPack.stderr).toContain('ERR_PACK_UNKNOWN_PROBE');
    const missingRoot = rampart(['scan', '--root', '/no/such/root']);
    expect(missingRoot.code).toBe(2);
    expect(missingRoot.stderr).toContain('ERR_ROOT_INVALID');
  });

  it('scans an offline root and writes the report to --output', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'rampart-scan-')), 'r.json');
    const r = rampart(['scan', '--pack', pack('minimal'), '--root', fixtureRoot('ubuntu2204-default'), '--format', 'json', '--output', out]);
    expect(r.code).toBe(0);
    const report = ScanReportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(report.host).toMatchObject({ mode: 'offline-root', hostname: 'ubu22-app02' });
    expect(report.host.os.idLike).toEqual(['debian']);
  });

  it('explains itself with --help', () => {
    const r = rampart(['scan', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--pack', '--tailoring', '--root', '--format', '--fail-on', 'Exit codes']) expect(r.stdout).toContain(flag);
  });
});

describe('rampart rules lint', () => {
  it('exits 0 on a clean pack and 2 listing every problem of a broken one', () => {
    expect(rampart(['rules', 'lint', pack('minimal')]).code).toBe(0);
    const r = rampart(['rules', 'lint', '--format', 'json', path.join(REPO_ROOT, 'test/fixtures/packs/broken/many-problems.yaml')]);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { ok: boolean; issues: { code: string }[] };
    expect(out.ok).toBe(false);
    expect(out.issues.map((i) => i.code)).toEqual(['ERR_PACK_UNKNOWN_DIRECTIVE', 'ERR_PACK_UNKNOWN_PROBE', 'ERR_PACK_PROBE_PARAMS', 'ERR_PACK_DUPLICATE_ID']);
  });
});
