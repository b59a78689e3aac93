/**
 * @module The shipped baseline pack and what each section's verdict table shares: the six captured
 * hosts in column order, the P/F/N/E codes, compiling the section's rules alone, scanning a host,
 * the table's own tests, and throw-away disk images of a fixture for offline-root scans.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FixtureHost } from '../../agent/host/fs-host.js';
import type { Host } from '../../agent/host/host.js';
import { runScan } from '../../agent/engine/runner.js';
import { compilePack } from '../../agent/rules/compile-pack.js';
import { loadDirectives, type DirectiveIndex } from '../../agent/rules/directives.js';
import type { CompiledPack } from '../../agent/rules/compiled.js';
import type { CheckStatus, RuleResult } from '../../shared/result.js';
import { REPO_ROOT, fixtureRoot } from './fixtures.js';

export const BASELINE_PACK = 'rules/linux-network-baseline.yaml';

/** The columns of every verdict table. */
export const HOSTS = ['debian12-default', 'debian12-hardened', 'ubuntu2204-default', 'ubuntu2204-hardened', 'rhel9-default', 'rhel9-hardened'] as const;
export type Code = 'P' | 'F' | 'N' | 'E';
export const STATUS: Record<Code, CheckStatus> = { P: 'pass', F: 'fail', N: 'not-applicable', E: 'error' };

/** The time every verdict-table scan runs at (fixtures were captured around it). */
export const SCAN_NOW = new Date('2026-11-26T12:00:00Z');

/** The same pack with only the rules in `ids` (throws when an id is not in the pack). */
export function onlyRules(pack: CompiledPack, ids: readonly string[]): CompiledPack {
  const wanted = new Set(ids);
  const rules = pack.rules.filter((r) => wanted.has(r.rule.id));
  const missing = [...wanted].filter((id) => !rules.some((r) => r.rule.id === id));
  if (missing.length > 0) throw new Error(`rules not in ${pack.ref.id}: ${missing.join(', ')}`);
  return { ...pack, rules };
}

let directives: Promise<DirectiveIndex> | undefined;

/** The baseline compiled (with optional tailoring values) and cut down to `ids`; fails the test on any pack issue. */
export async function compileSection(ids: readonly string[], parameterValues: Record<string, unknown> = {}): Promise<CompiledPack> {
  directives ??= loadDirectives(path.join(REPO_ROOT, 'rules/directives.yaml'));
  const result = compilePack(readFileSync(path.join(REPO_ROOT, BASELINE_PACK), 'utf8'), BASELINE_PACK, { directives: await directives, parameterValues });
  expect(result.issues).toEqual([]);
  return onlyRules(result.pack!, ids);
}

/** Every result of one scan of `host`, by rule id. */
export async function scanResults(host: Host, pack: CompiledPack, hostTags: string[] = []): Promise<Record<string, RuleResult>> {
  const report = await runScan({ host, packs: [pack], hostTags, now: SCAN_NOW });
  return Object.fromEntries(report.results.map((r) => [r.ruleId, r]));
}

/** The status of every rule of one scan of `host`, by rule id. */
export async function scanVerdicts(host: Host, pack: CompiledPack, hostTags: string[] = []): Promise<Record<string, CheckStatus>> {
  return Object.fromEntries(Object.entries(await scanResults(host, pack, hostTags)).map(([id, r]) => [id, r.status]));
}

/**
 * The two tests every verdict table runs: the table and the section's rules name the same ids, and each
 * captured host gets exactly its column (a mismatch shows the observed value beside the status).
 */
export function verdictTableTests(expected: Record<string, string>, pack: () => CompiledPack): void {
  it('has an expected row for every rule of the pack, and a rule for every row', () => {
    expect(pack().rules.map((r) => r.rule.id).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(HOSTS.map((h, i) => [h, i] as const))('%s gets the expected verdict on every rule', async (host, column) => {
    const results = await scanResults(new FixtureHost(fixtureRoot(host)), pack());
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [id, row] of Object.entries(expected)) {
      want[id] = STATUS[row.split(' ')[column] as Code];
      const r = results[id];
      got[id] = !r ? 'missing' : r.status === want[id] ? r.status : `${r.status} (${r.observed})`;
    }
    expect(got).toEqual(want);
  });
}

/**
 * A copy of a fixture's on-disk state (the named top-level folders, no /proc or /sys) in a temp dir,
 * as a mounted disk image would look; removed after the file's tests.
 */
export function diskImages(dirs: readonly string[]): (host: string) => string {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  return (host) => {
    const root = mkdtempSync(path.join(tmpdir(), 'rampart-offline-'));
    roots.push(root);
    for (const dir of dirs) {
      const from = path.join(fixtureRoot(host), dir);
      if (existsSync(from)) cpSync(from, path.join(root, dir), { recursive: true, verbatimSymlinks: true });
    }
    return root;
  };
}
