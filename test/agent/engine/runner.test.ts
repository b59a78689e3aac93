import path from 'node:path';
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { combine, evaluateCheck } from '../../../agent/engine/evaluate.js';
import { runScan, summarize } from '../../../agent/engine/runner.js';
import { createScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { FixtureHost, offlineRootHost } from '../../../agent/host/fs-host.js';
import { loadPacks } from '../../../agent/rules/load-packs.js';
import { defineProbe, observed } from '../../../agent/probes/probe.js';
import type { CompiledCheck } from '../../../agent/rules/compiled.js';
import { REPO_ROOT, fixtureRoot } from '../../helpers/fixtures.js';
import type { CheckOutcome } from '../../../agent/engine/evaluate.js';

const outcome = (status: CheckOutcome['status']): CheckOutcome => ({ status, expected: '', observed: '', evidence: [] });

describe('combine', () => {
  it('all: a failure wins over an error; all not-applicable is not-applicable', () => {
    expect(combine('all', [outcome('pass'), outcome('error'), outcome('fail')])).toBe('fail');
    expect(combine('all', [outcome('pass'), outcome('error')])).toBe('error');
    expect(combine('all', [outcome('pass'), outcome('not-applicable')])).toBe('pass');
    expect(combine('all', [outcome('not-applicable')])).toBe('not-applicable');
  });
  it('any: a pass wins; otherwise an error is not turned into a failure', () => {
    expect(combine('any', [outcome('fail'), outcome('pass')])).toBe('pass');
    expect(combine('any', [outcome('fail'), outcome('error')])).toBe('error');
    expect(combine('any', [outcome('fail'), outcome('fail')])).toBe('fail');
  });
  it('none: passes only when no child passes', () => {
    expect(combine('none', [outcome('fail'), outcome('fail')])).toBe('pass');
    expect(combine('none', [outcome('fail'), outcome('pass')])).toBe('fail');
  });
});

describe('evaluateCheck', () => {
  it('reads a source once per scan even when many checks use it, and turns a throw into an error result', async () => {
    let calls = 0;
    const counting = defineProbe({
      type: 'counting',
      summary: 'counts its own runs for this test',
      params: () => z.strictObject({ n: z.number() }),
      fields: { value: 'the number' },
      example: { n: 1 },
      badExamples: [{}],
      async run(params, ctx) {
        const shared = await ctx.memo('source:counter', async () => ++calls);
        if (params.n < 0) throw new Error('boom');
        return observed({ value: params.n + shared - 1 });
      },
    });
    const host = new FixtureHost(fixtureRoot('debian12-default'));
    const ctx = createScanContext(host, await readHostFacts(host));
    const leaf = (n: number): CompiledCheck => ({ kind: 'probe', probe: counting, rawParams: { n }, params: { n }, expect: { value: { eq: n } }, key: `counting:${n}` });
    const results = await Promise.all([1, 2, 3].map((n) => evaluateCheck(leaf(n), ctx)));
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(calls).toBe(1);
    const broken = await evaluateCheck(leaf(-1), ctx);
    expect(broken.status).toBe('error');
    expect(broken.error).toEqual({ code: 'ERR_PROBE_FAILED', message: 'boom' });
    expect(broken.evidence[0]).toMatchObject({ probe: 'counting', status: 'error' });
  });
});

describe('runScan', () => {
  it('produces a report with evidence, pack digests and a severity-weighted score', async () => {
    const { packs } = await loadPacks({ packFiles: [path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml')] });
    const report = await runScan({ host: new FixtureHost(fixtureRoot('debian12-default')), packs, now: new Date('2026-11-26T00:00:00Z') });
    expect(report.schema).toBe('rampart.scan-report/1');
    expect(report.host.os.id).toBe('debian');
    expect(report.packs[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const absent = report.results.find((r) => r.ruleId === 'test.file.nothing-here')!;
    expect(absent).toMatchObject({ status: 'pass', expected: 'all of: (exists == false)' });
    expect(absent.evidence[0]).toMatchObject({ probe: 'file', observed: { exists: false } });
  });

  it('applies tailoring: disabled rules become not-applicable with the reason, severities change', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-tailoring-'));
    const file = path.join(dir, 't.yaml');
    writeFileSync(
      file,
      'tailoring: { id: agency-x }\nparameters: { test-minimal: { passwd_max_mode: "0600" } }\ndisable: [{ rule: test.file.nothing-here, reason: "not used here" }]\nseverity: { test.file.passwd-mode: critical }\n',
    );
    const loaded = await loadPacks({ packFiles: [path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml')], tailoringFile: file });
    const report = await runScan({ host: new FixtureHost(fixtureRoot('debian12-default')), packs: loaded.packs });
    const disabled = report.results.find((r) => r.ruleId === 'test.file.nothing-here')!;
    expect(disabled).toMatchObject({ status: 'not-applicable', reason: 'disabled by tailoring: not used here' });
    expect(report.results.find((r) => r.ruleId === 'test.file.passwd-mode')!.severity).toBe('critical');
  });

  it('refuses tailoring that names an unknown rule with ERR_TAILORING_INVALID', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rampart-tailoring-'));
    const file = path.join(dir, 't.yaml');
    writeFileSync(file, 'tailoring: { id: x }\ndisable: [{ rule: no.such.rule, reason: r }]\n');
    await expect(loadPacks({ packFiles: [path.join(REPO_ROOT, 'test/fixtures/packs/minimal.yaml')], tailoringFile: file })).rejects.toMatchObject({
      code: 'ERR_TAILORING_INVALID',
    });
  });

  it('summarizes errors as not passing and not-applicable as out of the score', () => {
    const base = { packId: 'p', title: 't', expected: '', observed: '', evidence: [], references: { directives: [], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] }, remediation: '', durationMs: 0 };
    const s = summarize([
      { ...base, ruleId: 'a.a', severity: 'critical', status: 'pass' },
      { ...base, ruleId: 'a.b', severity: 'low', status: 'fail' },
      { ...base, ruleId: 'a.c', severity: 'low', status: 'error' },
      { ...base, ruleId: 'a.d', severity: 'high', status: 'not-applicable' },
    ]);
    expect(s).toMatchObject({ total: 4, pass: 1, fail: 1, error: 1, notApplicable: 1, failBySeverity: { low: 1 } });
    expect(s.score).toBeCloseTo((10 / 12) * 100, 0);
  });
});

describe('offline roots', () => {
  it('resolves absolute symlinks inside the root, never on the scanning machine', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'rampart-root-'));
    mkdirSync(path.join(root, 'etc'));
    mkdirSync(path.join(root, 'data'));
    writeFileSync(path.join(root, 'data/real-os-release'), 'ID=alpine\n');
    symlinkSync('/data/real-os-release', path.join(root, 'etc/os-release'));
    symlinkSync('/etc/shadow', path.join(root, 'etc/escape'));
    const host = offlineRootHost(root);
    expect(await host.readFile('/etc/os-release')).toBe('ID=alpine\n');
    expect(await host.readFile('/etc/escape')).toBeUndefined();
    expect(await host.readFile('/../../etc/hostname')).toBeUndefined();
    expect(await host.run('sshd-effective')).toBeUndefined();
    expect((await readHostFacts(host)).os.id).toBe('alpine');
  });
});
