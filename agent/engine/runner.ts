/**
 * @module Run a scan: evaluate every compiled rule concurrently against one host and
 * assemble the ScanReport (host facts, pack digests, results with evidence, summary).
 */
import { randomUUID } from 'node:crypto';
import type { Host } from '../host/host.js';
import { SCAN_REPORT_SCHEMA_ID, SEVERITY_WEIGHT, mergeCveMatches, type RuleResult, type ScanReport, type ScanSummary } from '../../shared/result.js';
import type { CompiledPack, CompiledRule } from '../rules/compiled.js';
import { createScanContext, type ScanContext } from './context.js';
import { evaluateCheck, type CheckOutcome } from './evaluate.js';
import { hostPlatforms, readHostFacts } from './facts.js';
import { VERSION } from '../../shared/version.js';
import { collectInventory, type InventoryMode } from './inventory.js';

export interface ScanOptions {
  host: Host;
  packs: CompiledPack[];
  /** Host role tags from tailoring, matched against rules' exceptionTags. */
  hostTags?: string[];
  tailoring?: { id: string; sha256: string };
  now?: Date;
  /** Called after each rule finishes, for progress output. */
  onResult?: (result: RuleResult, done: number, total: number) => void;
  /** Add the inventory section: true, false, or 'auto' (default: when an inventorying pack such as ai-workloads runs). */
  inventory?: InventoryMode;
}

async function evaluateRule(cr: CompiledRule, ctx: ScanContext, platforms: Set<string>, hostTags: Set<string>): Promise<CheckOutcome> {
  const { rule } = cr;
  const na = (reason: string): CheckOutcome => ({ status: 'not-applicable', expected: '', observed: reason, reason, evidence: [] });
  if (cr.disabledReason !== undefined) return na(`disabled by tailoring: ${cr.disabledReason}`);
  if (!rule.platforms.some((p) => platforms.has(p))) {
    return na(`applies to ${rule.platforms.join(', ')}; this host is ${ctx.facts.os.id}`);
  }
  const exempt = rule.exceptionTags?.find((t) => hostTags.has(t));
  if (exempt !== undefined) return na(`host is tagged "${exempt}", an exception for this rule`);
  if (cr.applicability) {
    const gate = await evaluateCheck(cr.applicability, ctx);
    if (gate.status === 'error') return { ...gate, expected: `applicability: ${gate.expected}` };
    if (gate.status !== 'pass') {
      const reason = `does not apply: ${gate.expected} (observed ${gate.observed || 'nothing'})`;
      return { status: 'not-applicable', expected: '', observed: reason, reason, evidence: gate.evidence };
    }
  }
  return evaluateCheck(cr.check, ctx);
}

export function summarize(results: RuleResult[]): ScanSummary {
  const summary: ScanSummary = {
    total: results.length,
    pass: 0,
    fail: 0,
    error: 0,
    notApplicable: 0,
    failBySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
    score: 100,
  };
  let earned = 0;
  let possible = 0;
  for (const r of results) {
    const w = SEVERITY_WEIGHT[r.severity];
    if (r.status === 'pass') {
      summary.pass++;
      earned += w;
      possible += w;
    } else if (r.status === 'fail') {
      summary.fail++;
      summary.failBySeverity[r.severity]++;
      possible += w;
    } else if (r.status === 'error') {
      summary.error++;
      possible += w;
    } else summary.notApplicable++;
  }
  summary.score = possible === 0 ? 100 : Math.round((earned / possible) * 1000) / 10;
  return summary;
}

export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const started = options.now ?? new Date();
  const t0 = performance.now();
  const facts = await readHostFacts(options.host);
  const ctx = createScanContext(options.host, facts, started);
  const platforms = hostPlatforms(facts);
  const hostTags = new Set(options.hostTags ?? []);
  const all = options.packs.flatMap((p) => p.rules);
  let done = 0;
  const results = await Promise.all(
    all.map(async (cr): Promise<RuleResult> => {
      const r0 = performance.now();
      const outcome = await evaluateRule(cr, ctx, platforms, hostTags);
      const { rule } = cr;
      const result: RuleResult = {
        ruleId: rule.id,
        packId: cr.packId,
        title: rule.title,
        severity: rule.severity,
        status: outcome.status,
        expected: outcome.expected,
        observed: outcome.observed,
        evidence: outcome.evidence,
        references: rule.references,
        remediation: rule.remediation,
        durationMs: Math.round((performance.now() - r0) * 100) / 100,
      };
      if (outcome.error) result.error = outcome.error;
      if (outcome.reason) result.reason = outcome.reason;
      if (cr.clockDays !== undefined) result.clockDays = cr.clockDays;
      if (cr.clockDirective !== undefined) result.clockDirective = cr.clockDirective;
      if (outcome.status === 'fail' && outcome.cves) result.cves = mergeCveMatches(outcome.cves);
      options.onResult?.(result, ++done, all.length);
      return result;
    }),
  );
  const finished = new Date(started.getTime() + (performance.now() - t0));
  const report: ScanReport = {
    schema: SCAN_REPORT_SCHEMA_ID,
    tool: { name: 'rampart', version: VERSION },
    scanId: randomUUID(),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: Math.round((performance.now() - t0) * 100) / 100,
    host: facts,
    packs: options.packs.map((p) => p.ref),
    results,
    summary: summarize(results),
  };
  if (options.tailoring) report.tailoring = options.tailoring;
  const inventory = await collectInventory(ctx, options.packs, options.inventory);
  if (inventory) report.inventory = inventory;
  return report;
}
