/**
 * The printable HTML report: self-contained, every text escaped, and the sections an auditor needs.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, htmlReport } from '../../../shared/reports/html.js';
import { fleetModel } from '../../helpers/evidence-fleet.js';
import { decideBod2604 } from '../../../shared/bod-26-04.js';

describe('HTML report', () => {
  it('escapes every character that could open markup', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'q'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
  });

  it('escapes text from the evidence everywhere it appears (no injected markup survives)', () => {
    const model = fleetModel();
    model.hosts[0]!.hostname = '<img src=x onerror=alert(1)>';
    model.results[0]!.title = '</td><script>alert(2)</script>';
    model.results[0]!.evidence[0]!.observed = { value: '<b>"bold"</b>' };
    model.assessment.title = 'Report <i>for</i> "DoE"';
    const html = htmlReport(model);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>"bold"</b>');
    expect(html).not.toContain('<b>needs</b>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('<title>Report &lt;i&gt;for&lt;/i&gt; &quot;DoE&quot;</title>');
    expect(html).toContain('Router &lt;b&gt;needs&lt;/b&gt; &quot;root&quot; &amp; console access');
  });

  it('is self-contained: no scripts, no external links or assets, print CSS included', () => {
    const html = htmlReport(fleetModel());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html).toContain('@media print');
    expect(html).toContain("default-src 'none'");
  });

  it('has the summary, status per directive, findings due and overdue, active waivers and the evidence appendix', () => {
    const html = htmlReport(fleetModel(), { directives: [{ id: 'BOD-23-02', title: 'BOD 23-02, Mitigating the Risk from Internet-Exposed Management Interfaces' }] });
    for (const id of ['summary', 'directives', 'findings', 'waivers', 'evidence']) expect(html).toContain(`<section id="${id}"`);
    expect(html).toContain('BOD 23-02, Mitigating the Risk');
    // Overdue and due-soon findings are flagged; the waived failure is not listed as due.
    expect(html).toMatch(/2026-11-10<\/td><td class="overdue">OVERDUE/);
    expect(html).toMatch(/2026-11-29<\/td><td class="due-soon">due within 7 days/);
    expect(html).not.toMatch(/2026-12-04<\/td>/);
    // The active waiver is listed; the expired one is listed apart, as counting failed.
    const waivers = html.slice(html.indexOf('<section id="waivers"'), html.indexOf('<section id="evidence"'));
    expect(waivers.indexOf('W-7')).toBeLessThan(waivers.indexOf('Expired or not yet active'));
    expect(waivers.indexOf('W-3')).toBeGreaterThan(waivers.indexOf('Expired or not yet active'));
    // The appendix carries evidence sources for every host.
    expect(html).toContain('<code>/etc/sysctl.d/99-custom.conf</code>');
    expect(html.match(/<h3>[^<]*<code>host-/g)).toHaveLength(4);
  });

  it('shows the BOD 26-04 tier, forensic triage and its inputs in the clock column, and "next system upgrade" for an undated tier', () => {
    const html = htmlReport(fleetModel());
    const findings = html.slice(html.indexOf('<section id="findings"'), html.indexOf('<section id="waivers"'));
    expect(findings).toMatch(/2026-11-28<\/td><td class="due-soon">due within 7 days/);
    expect(findings).toContain('BOD 26-04 Table 1 <b>t3-forensics</b>: 3 days + forensic triage <b class="overdue">(forensic triage)</b>');
    expect(findings).toContain('host exposure unset (treated as internet-exposed)');
    expect(findings).toContain('automatable no (directive default)');
    const model = fleetModel();
    const r = model.results.find((x) => x.ruleId === 'linux.updates.security-pending' && x.hostId === 'host-web01')!;
    r.bod2604 = decideBod2604([{ cve: 'CVE-2024-0001', kev: false, automatable: 'no', technicalImpact: 'partial' }], 'internal');
    delete r.dueAt;
    const undated = htmlReport(model).split('Open findings without a due date')[1]!;
    expect(undated).toContain('BOD 26-04 Table 1 <b>next-upgrade</b>: next system upgrade');
  });

  it('is the same bytes for the same input', () => {
    expect(htmlReport(fleetModel())).toBe(htmlReport(fleetModel()));
  });
});
