/**
 * @module The human-readable form of a scan report: results grouped by directive, a summary
 * line, and the remediation of every failure. Status is always spelled out, never colour alone.
 */
import type { RuleResult, ScanReport } from '../../shared/result.js';
import { SEVERITY_RANK } from '../../shared/rule-pack.js';
import { renderAiInventory } from './inventory-table.js';

const LABEL: Record<RuleResult['status'], string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', 'not-applicable': 'N/A' };

function wrap(text: string, width: number, indent: string): string {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

function group(r: RuleResult): string {
  return r.references.directives[0] ?? 'Baseline hardening (no directive clock)';
}

export function renderTable(report: ScanReport, options: { color?: boolean; verbose?: boolean } = {}): string {
  const c = options.color
    ? { red: (s: string) => `\x1b[31m${s}\x1b[0m`, green: (s: string) => `\x1b[32m${s}\x1b[0m`, yellow: (s: string) => `\x1b[33m${s}\x1b[0m`, dim: (s: string) => `\x1b[2m${s}\x1b[0m`, bold: (s: string) => `\x1b[1m${s}\x1b[0m` }
    : { red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s, bold: (s: string) => s };
  const paint = (r: RuleResult) => {
    const l = LABEL[r.status].padEnd(5);
    return r.status === 'pass' ? c.green(l) : r.status === 'fail' ? c.red(l) : r.status === 'error' ? c.yellow(l) : c.dim(l);
  };
  const out: string[] = [];
  const h = report.host;
  out.push(c.bold(`Rampart scan of ${h.hostname} (${h.os.prettyName ?? h.os.id}${h.mode === 'live' ? '' : `, ${h.mode} ${h.root}`})`));
  out.push(c.dim(`packs: ${report.packs.map((p) => `${p.id}@${p.version} sha256:${p.sha256.slice(0, 12)}`).join(', ')}${report.tailoring ? `; tailoring ${report.tailoring.id}` : ''}`));
  const groups = new Map<string, RuleResult[]>();
  for (const r of report.results) {
    const g = group(r);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(r);
  }
  const names = [...groups.keys()].sort((a, b) => (a.startsWith('Baseline') ? 1 : b.startsWith('Baseline') ? -1 : a.localeCompare(b)));
  for (const name of names) {
    const list = groups.get(name)!.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.ruleId.localeCompare(b.ruleId));
    const fails = list.filter((r) => r.status === 'fail').length;
    out.push('');
    out.push(c.bold(`${name}  (${list.length} rules, ${fails} failing)`));
    for (const r of list) {
      if (!options.verbose && r.status === 'not-applicable') continue;
      out.push(`  ${paint(r)} ${r.severity.padEnd(8)} ${r.ruleId}  ${c.dim(r.title)}`);
      if (r.status === 'fail' || r.status === 'error' || options.verbose) {
        if (r.expected) out.push(wrap(`expected: ${r.expected}`, 100, '         '));
        out.push(wrap(`observed: ${r.observed}`, 100, '         '));
        if (r.error) out.push(`         error: ${r.error.code}`);
      }
    }
    if (!options.verbose) {
      const na = list.filter((r) => r.status === 'not-applicable').length;
      if (na > 0) out.push(c.dim(`  (${na} not applicable; --verbose lists them with the reason)`));
    }
  }
  const failing = report.results.filter((r) => r.status === 'fail').sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  if (failing.length > 0) {
    out.push('');
    out.push(c.bold('How to fix what fails'));
    for (const r of failing) {
      const due = r.clockDays ? ` (directive clock: ${r.clockDays} days, ${r.clockDirective})` : '';
      out.push(`  ${r.ruleId}${due}`);
      out.push(wrap(r.remediation, 100, '    '));
    }
  }
  if (report.inventory?.ai) out.push(...renderAiInventory(report.inventory.ai, c.bold));
  const s = report.summary;
  out.push('');
  out.push(
    c.bold(
      `Summary: ${s.total} rules: ${s.pass} pass, ${s.fail} fail (${s.failBySeverity.critical} critical, ${s.failBySeverity.high} high, ${s.failBySeverity.medium} medium, ${s.failBySeverity.low} low), ${s.error} error, ${s.notApplicable} not applicable. Score ${s.score}/100. ${report.durationMs.toFixed(0)} ms.`,
    ),
  );
  return out.join('\n') + '\n';
}
