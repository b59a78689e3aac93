/**
 * @module A printable HTML report from the evidence model: one self-contained file (inline CSS, no
 * scripts, no external assets) with a summary, status per directive, findings due and overdue, active
 * waivers, assessment cadence (when known) and an evidence appendix. Every piece of text is HTML-escaped. Same input, same bytes.
 */
import { canonicalJson } from '../evidence/canonical-json.js';
import { parseEvidenceModel, type EvidenceHost, type EvidenceModel, type EvidenceResult } from '../evidence/model.js';
import { countVerdicts, DUE_SOON_DAYS, dueStateOf, sortedModel, verdictOf, waiverState, type Verdict, type VerdictCounts } from '../evidence/verdict.js';
import { SEVERITY_RANK } from '../rule-pack.js';
import { cveInputWords, exposureWords, tierWords } from '../bod-26-04.js';

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface HtmlReportOptions {
  /** Directive titles to show next to their ids (for example from rules/directives.yaml). */
  directives?: Iterable<{ id: string; title: string }>;
  /** Leave out the evidence appendix (for very large fleets). Default false. */
  omitAppendix?: boolean;
}

const e = escapeHtml;

const CSS = `
:root { --fail: #a4000f; --pass: #1a6b2a; --waived: #7a5a00; --error: #6b3fa0; --na: #555; --line: #c8c8c8; }
* { box-sizing: border-box; }
body { font: 11pt/1.4 "Helvetica Neue", Arial, sans-serif; color: #111; margin: 2em auto; max-width: 72em; padding: 0 1em; }
h1 { font-size: 18pt; margin: 0 0 .2em; } h2 { font-size: 14pt; margin: 1.6em 0 .5em; border-bottom: 2px solid #111; }
h3 { font-size: 12pt; margin: 1.2em 0 .4em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; font-size: 9.5pt; }
th, td { border: 1px solid var(--line); padding: .25em .45em; text-align: left; vertical-align: top; }
th { background: #eee; } td.num, th.num { text-align: right; }
code, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
.meta { color: #333; } .meta td:first-child { width: 12em; font-weight: bold; }
.v-pass { color: var(--pass); font-weight: bold; } .v-fail { color: var(--fail); font-weight: bold; }
.v-waived { color: var(--waived); font-weight: bold; } .v-error { color: var(--error); font-weight: bold; }
.v-not-applicable { color: var(--na); } .overdue { color: var(--fail); font-weight: bold; } .due-soon { color: var(--waived); font-weight: bold; }
.cards { display: flex; flex-wrap: wrap; gap: .6em; margin: .6em 0; }
.card { border: 1px solid var(--line); padding: .4em .8em; min-width: 7em; } .card b { display: block; font-size: 16pt; }
.note { color: #444; font-size: 9.5pt; }
pre { white-space: pre-wrap; margin: 0; }
@page { size: letter; margin: 1.6cm 1.4cm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } tr, .card { break-inside: avoid; } thead { display: table-header-group; }
  .appendix { break-before: page; }
}
`;

function verdictCell(v: Verdict): string {
  const words: Record<Verdict, string> = { pass: 'pass', fail: 'FAIL', waived: 'waived', error: 'error', 'not-applicable': 'n/a' };
  return `<span class="v-${v}">${words[v]}</span>`;
}

function countsRow(c: VerdictCounts): string {
  return [c.pass, c.fail, c.waived, c.error, c.notApplicable].map((n) => `<td class="num">${n}</td>`).join('');
}

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

/** The clock of a finding: its BOD 26-04 Table 1 tier with the inputs, else the rule's directive clock. */
function clockCell(r: EvidenceResult, none: string): string {
  const t = r.bod2604;
  if (t) {
    return (
      `BOD 26-04 Table 1 <b>${e(t.tier)}</b>: ${e(tierWords(t))}${t.forensicTriage ? ' <b class="overdue">(forensic triage)</b>' : ''}` +
      `<br><small>host exposure ${e(exposureWords(t.exposure))}; ${t.cves.map((c) => e(cveInputWords(c))).join('; ')}</small>`
    );
  }
  return r.clockDays ? `${r.clockDays} days${r.clockDirective ? ` (${e(r.clockDirective)})` : ''}` : none;
}

/** The HTML report for an evidence model (one host, one agency or a fleet). */
export function htmlReport(input: EvidenceModel, options: HtmlReportOptions = {}): string {
  const model = sortedModel(parseEvidenceModel(input));
  const { assessment } = model;
  const asOf = assessment.generatedAt;
  const hosts = new Map(model.hosts.map((h) => [h.id, h]));
  const hostname = (r: EvidenceResult) => hosts.get(r.hostId)?.hostname ?? r.hostId;
  const resultsByHost = new Map<string, EvidenceResult[]>(model.hosts.map((h) => [h.id, []]));
  for (const r of model.results) resultsByHost.get(r.hostId)?.push(r);
  const directiveTitles = new Map([...(options.directives ?? [])].map((d) => [d.id, d.title]));
  const total = countVerdicts(model.results, asOf);
  const failures = model.results.filter((r) => r.status === 'fail');
  const bySeverity = (a: EvidenceResult, b: EvidenceResult) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];

  const parts: string[] = [];
  parts.push(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="rampart ${e(assessment.tool.version)}">
<title>${e(assessment.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${e(assessment.title)}</h1>
<table class="meta">
<tr><td>As of</td><td>${e(asOf)}</td></tr>
${assessment.agency ? `<tr><td>Agency</td><td>${e(assessment.agency.name)} (<code>${e(assessment.agency.id)}</code>)</td></tr>` : ''}
<tr><td>Scope</td><td>${e(assessment.scope)}: ${model.hosts.length} host${model.hosts.length === 1 ? '' : 's'}</td></tr>
<tr><td>Rule packs</td><td>${assessment.packs.map((p) => `${e(p.id)} ${e(p.version)} <code>sha256:${e(p.sha256)}</code>`).join('<br>') || 'none'}</td></tr>
${assessment.tailoring ? `<tr><td>Tailoring</td><td>${e(assessment.tailoring.id)} <code>sha256:${e(assessment.tailoring.sha256)}</code></td></tr>` : ''}
<tr><td>Generated by</td><td>Rampart ${e(assessment.tool.version)}</td></tr>
</table>
</header>
`);

  // --- summary ---
  const overdue = failures.filter((r) => verdictOf(r, asOf) === 'fail' && dueStateOf(r, asOf) === 'overdue').length;
  parts.push(`<section id="summary"><h2>Summary</h2>
<div class="cards">
<div class="card"><b>${model.hosts.length}</b>hosts</div>
<div class="card"><b>${total.total}</b>rule verdicts</div>
<div class="card"><b class="v-pass">${total.pass}</b>pass</div>
<div class="card"><b class="v-fail">${total.fail}</b>fail</div>
<div class="card"><b class="v-waived">${total.waived}</b>waived</div>
<div class="card"><b class="v-error">${total.error}</b>error</div>
<div class="card"><b class="v-not-applicable">${total.notApplicable}</b>not applicable</div>
<div class="card"><b class="overdue">${overdue}</b>overdue</div>
</div>
<p class="note">A waived failure counts as waived only while its waiver is active; after expiry it counts as failed again.
"error" means the rule could not be evaluated and "n/a" that it does not apply; neither is a pass.</p>
<table><thead><tr><th>Host</th><th>OS</th><th class="num">pass</th><th class="num">fail</th><th class="num">waived</th><th class="num">error</th><th class="num">n/a</th></tr></thead><tbody>
${model.hosts.map((h) => `<tr><td>${e(h.hostname)}<br><code>${e(h.id)}</code></td><td>${e(h.os.prettyName ?? [h.os.id, h.os.versionId].filter(Boolean).join(' '))}</td>${countsRow(countVerdicts(resultsByHost.get(h.id) ?? [], asOf))}</tr>`).join('\n')}
</tbody></table></section>
`);

  // --- status per directive ---
  const directiveIds = [...new Set(model.results.flatMap((r) => r.references.directives))].sort();
  parts.push(`<section id="directives"><h2>Status per directive</h2>
${
  directiveIds.length === 0
    ? '<p>No assessed rule cites a directive.</p>'
    : `<table><thead><tr><th>Directive</th><th>Status</th><th class="num">rules</th><th class="num">hosts failing</th><th class="num">pass</th><th class="num">fail</th><th class="num">waived</th><th class="num">error</th><th class="num">n/a</th></tr></thead><tbody>
${directiveIds
  .map((id) => {
    const rs = model.results.filter((r) => r.references.directives.includes(id));
    const c = countVerdicts(rs, asOf);
    const status = c.fail > 0 ? '<span class="v-fail">not met</span>' : c.error > 0 ? '<span class="v-error">undetermined</span>' : c.waived > 0 ? '<span class="v-waived">met with waivers</span>' : c.pass > 0 ? '<span class="v-pass">met</span>' : '<span class="v-not-applicable">not applicable</span>';
    const failingHosts = new Set(rs.filter((r) => verdictOf(r, asOf) === 'fail').map((r) => r.hostId)).size;
    const title = directiveTitles.get(id);
    return `<tr><td><b>${e(id)}</b>${title ? `<br>${e(title)}` : ''}</td><td>${status}</td><td class="num">${new Set(rs.map((r) => r.ruleId)).size}</td><td class="num">${failingHosts}</td>${countsRow(c)}</tr>`;
  })
  .join('\n')}
</tbody></table>`
}</section>
`);

  // --- findings due and overdue ---
  const open = failures.filter((r) => verdictOf(r, asOf) === 'fail');
  const dated = open.filter((r) => r.dueAt).sort((a, b) => (a.dueAt! < b.dueAt! ? -1 : a.dueAt! > b.dueAt! ? 1 : bySeverity(a, b)));
  const undated = open.filter((r) => !r.dueAt).sort(bySeverity);
  const dueWords = { overdue: 'OVERDUE', 'due-soon': `due within ${DUE_SOON_DAYS} days`, open: 'open' } as const;
  parts.push(`<section id="findings"><h2>Findings due and overdue</h2>
${
  dated.length === 0
    ? '<p>No open finding has a due date.</p>'
    : `<table><thead><tr><th>Due</th><th>State</th><th>Host</th><th>Rule</th><th>Severity</th><th>Clock</th><th>First seen</th></tr></thead><tbody>
${dated
  .map((r) => {
    const s = dueStateOf(r, asOf)!;
    return `<tr><td>${e(day(r.dueAt))}</td><td class="${s}">${dueWords[s]}</td><td>${e(hostname(r))}</td><td>${e(r.title)}<br><code>${e(r.ruleId)}</code></td><td>${e(r.severity)}</td><td>${clockCell(r, '')}</td><td>${e(day(r.firstSeenAt))}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`
}
${
  undated.length === 0
    ? ''
    : `<h3>Open findings without a due date</h3>
<p class="note">The due date runs from the first time a failure was seen, which the collector tracks; a one-host scan does not know it.</p>
<table><thead><tr><th>Host</th><th>Rule</th><th>Severity</th><th>Clock</th><th>Remediation</th></tr></thead><tbody>
${undated
  .map((r) => `<tr><td>${e(hostname(r))}</td><td>${e(r.title)}<br><code>${e(r.ruleId)}</code></td><td>${e(r.severity)}</td><td>${clockCell(r, 'none')}</td><td>${e(r.remediation)}</td></tr>`)
  .join('\n')}
</tbody></table>`
}</section>
`);

  // --- waivers ---
  const waived = failures.filter((r) => r.waiver);
  const active = waived.filter((r) => waiverState(r.waiver!, asOf) === 'active');
  const lapsed = waived.filter((r) => waiverState(r.waiver!, asOf) !== 'active');
  const waiverRow = (r: EvidenceResult) => {
    const w = r.waiver!;
    return `<tr><td><code>${e(w.id)}</code></td><td>${e(hostname(r))}</td><td>${e(r.title)}<br><code>${e(r.ruleId)}</code></td><td>${e(w.approver)}</td><td>${e(w.risk)}</td><td>${e(day(w.start))} to ${e(day(w.expiry))}</td><td>${e(w.justification)}</td></tr>`;
  };
  const waiverHead = '<thead><tr><th>Waiver</th><th>Host</th><th>Rule</th><th>Approver</th><th>Risk</th><th>Period</th><th>Justification</th></tr></thead>';
  parts.push(`<section id="waivers"><h2>Active waivers</h2>
${active.length === 0 ? '<p>No active waiver.</p>' : `<table>${waiverHead}<tbody>\n${active.map(waiverRow).join('\n')}\n</tbody></table>`}
${lapsed.length === 0 ? '' : `<h3>Expired or not yet active waivers (these failures count as failed)</h3>\n<table>${waiverHead}<tbody>\n${lapsed.map(waiverRow).join('\n')}\n</tbody></table>`}
</section>
`);

  // --- assessment cadence ---
  if (model.cadences && model.cadences.length > 0) {
    parts.push(`<section id="cadence"><h2>Assessment cadence</h2>
${model.cadences
  .map(
    (c) => `<h3>${e(c.directive)} ${e(c.id)}: every ${e(c.everyDays)} days, ${e(day(c.from))} to ${e(day(c.to))}: ${c.met ? '<span class="v-pass">met</span>' : '<span class="v-fail">NOT MET</span>'}</h3>
<p class="note">${e(c.what)}</p>
<table><thead><tr><th>Host</th><th>Met</th><th class="num">scans</th><th class="num">longest gap (days)</th><th>Gaps over ${e(c.everyDays)} days</th></tr></thead><tbody>
${c.hosts
  .map(
    (h) =>
      `<tr><td>${e(h.hostname)}</td><td>${h.met ? '<span class="v-pass">yes</span>' : '<span class="v-fail">NO</span>'}</td><td class="num">${h.assessments.length}</td><td class="num">${e(h.longestGapDays)}</td><td>${h.gaps.map((g) => `${e(day(g.from))} to ${e(day(g.to))} (${e(g.days)} days)`).join('<br>')}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`,
  )
  .join('\n')}
</section>
`);
  }

  // --- evidence appendix ---
  if (!options.omitAppendix) {
    parts.push(`<section id="evidence" class="appendix"><h2>Appendix: evidence</h2>
<p class="note">Every rule verdict on every host, with what the rule expects, what the host showed, and the probes' observations and sources.</p>
${model.hosts.map((h) => hostAppendix(h, resultsByHost.get(h.id) ?? [], asOf)).join('\n')}
</section>
`);
  }
  parts.push('</body>\n</html>\n');
  return parts.join('');
}

function hostAppendix(h: EvidenceHost, results: EvidenceResult[], asOf: string): string {
  return `<h3>${e(h.hostname)} <code>${e(h.id)}</code></h3>
<table><thead><tr><th>Rule</th><th>Verdict</th><th>Expected</th><th>Observed</th><th>Evidence</th></tr></thead><tbody>
${results
  .map((r) => {
    const evidence = r.evidence
      .map((ev) => `<div><b>${e(ev.probe)}</b> <code>${e(canonicalJson(ev.params))}</code> → ${e(ev.status)}<br><code>${e(canonicalJson(ev.observed ?? null))}</code>${ev.sources?.length ? `<br>sources: ${ev.sources.map((s) => `<code>${e(s)}</code>`).join(', ')}` : ''}${ev.error ? `<br>${e(ev.error.code)}: ${e(ev.error.message)}` : ''}${ev.reason ? `<br>${e(ev.reason)}` : ''}</div>`)
      .join('');
    const notes = [r.reason, r.error ? `${r.error.code}: ${r.error.message}` : ''].filter(Boolean).map((x) => `<br><span class="note">${e(x)}</span>`).join('');
    return `<tr><td>${e(r.title)}<br><code>${e(r.ruleId)}</code><br><span class="note">${e(r.severity)}; collected ${e(r.collectedAt)}</span></td><td>${verdictCell(verdictOf(r, asOf))}${notes}</td><td>${e(r.expected)}</td><td>${e(r.observed)}</td><td>${evidence}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
}
