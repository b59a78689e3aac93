/**
 * Every pack shipped in rules/ loads, names only registered probes, and carries the
 * traceability the evidence promises (references, rationale, remediation).
 */
import { describe, expect, it } from 'vitest';
import { loadPacks } from '../../agent/rules/load-packs.js';
import { PROBE_REGISTRY } from '../../agent/probes/index.js';
import type { CompiledCheck } from '../../agent/rules/compiled.js';

const { packs, directives } = await loadPacks();

function probeTypes(c: CompiledCheck): string[] {
  return c.kind === 'probe' ? [c.probe.type] : c.children.flatMap(probeTypes);
}

describe('shipped packs', () => {
  it('include the Linux network baseline with at least 70 rules', () => {
    const baseline = packs.find((p) => p.ref.id === 'linux-network-baseline');
    expect(baseline, 'rules/linux-network-baseline.yaml').toBeDefined();
    expect(baseline!.rules.length).toBeGreaterThanOrEqual(70);
  });

  it.each(packs.map((p) => [p.ref.id, p] as const))('%s: every probe type it names exists', (_id, pack) => {
    for (const r of pack.rules) {
      const types = [...probeTypes(r.check), ...(r.applicability ? probeTypes(r.applicability) : [])];
      for (const t of types) expect(PROBE_REGISTRY.has(t), `${r.rule.id} uses ${t}`).toBe(true);
    }
  });

  it.each(packs.map((p) => [p.ref.id, p] as const))('%s: every rule is traceable and actionable', (_id, pack) => {
    for (const { rule } of pack.rules) {
      const refs = rule.references;
      const count = refs.nist.length + refs.stig.length + refs.cis.length + refs.cac.length + refs.directives.length + refs.cve.length + refs.other.length;
      expect(count, `${rule.id} has no references`).toBeGreaterThan(0);
      expect(rule.rationale.length, `${rule.id} rationale`).toBeGreaterThan(30);
      expect(rule.remediation.length, `${rule.id} remediation`).toBeGreaterThan(30);
      for (const d of refs.directives) expect(directives.has(d)).toBe(true);
    }
  });

  it('covers the directive clocks: every BOD 23-02 rule carries its 14-day clock', () => {
    const bod = packs.flatMap((p) => p.rules).filter((r) => r.rule.references.directives.includes('BOD-23-02'));
    expect(bod.length).toBeGreaterThan(0);
    for (const r of bod) expect(r.clockDays, r.rule.id).toBeLessThanOrEqual(14);
  });
});
