/**
 * OSCAL assessment results from the evidence model: a realistic fleet validates against the official
 * schema, the document says what happened honestly (errors, not-applicable and waivers are never passes),
 * findings target NIST control objectives, and the same input always gives the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { fromScanReport, selectHosts, type EvidenceModel } from '../../../shared/evidence/model.js';
import { evidenceToOscal } from '../../../shared/oscal/from-evidence.js';
import { uuidV5 } from '../../../shared/oscal/uuid.js';
import { oscalValidator } from '../../../shared/oscal/validate.js';
import { AS_OF, fleetModel } from '../../helpers/evidence-fleet.js';
import { isAppError } from '../../../shared/errors.js';
import { decideBod2604 } from '../../../shared/bod-26-04.js';

const validate = oscalValidator();
type J = Record<string, any>;
const ar = (m: EvidenceModel) => evidenceToOscal(m)['assessment-results'] as J;
const props = (o: J) => Object.fromEntries(((o.props ?? []) as J[]).map((p) => [p.name, p.value]));
const propAll = (o: J, name: string) => ((o.props ?? []) as J[]).filter((p) => p.name === name).map((p) => p.value);

describe('evidenceToOscal', () => {
  it('derives RFC 9562 version 5 UUIDs (checked against the RFC example)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('produces a document that validates against the OSCAL 1.1.2 schema for a realistic fleet', () => {
    const r = validate(evidenceToOscal(fleetModel()));
    expect(r.errors).toEqual([]);
    expect(r.valid).toBe(true);
  });

  it('produces a valid document per host out of the agency evidence, and for an empty fleet', () => {
    const model = fleetModel();
    for (const h of model.hosts) expect(validate(evidenceToOscal(selectHosts(model, [h.id]))).errors).toEqual([]);
    expect(validate(evidenceToOscal({ ...model, hosts: [], results: [] })).errors).toEqual([]);
  });

  it('is byte-identical for the same input, whatever order hosts and results come in', () => {
    const a = JSON.stringify(evidenceToOscal(fleetModel()));
    const shuffled = fleetModel();
    shuffled.hosts.reverse();
    shuffled.results.reverse();
    expect(JSON.stringify(evidenceToOscal(fleetModel()))).toBe(a);
    expect(JSON.stringify(evidenceToOscal(shuffled))).toBe(a);
  });

  it('gives a different document and document UUID when any input differs', () => {
    const base = ar(fleetModel());
    const changed = fleetModel();
    changed.results[0]!.observed = 'value = 2';
    const other = ar(changed);
    expect(other.uuid).not.toBe(base.uuid);
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(base));
    // Hosts keep their identity across documents (per-subject UUIDs), observations are per collection.
    expect(other.results[0]['local-definitions']['inventory-items'][0].uuid).toBe(base.results[0]['local-definitions']['inventory-items'][0].uuid);
  });

  it('makes every host an inventory item, and every observation names its host as subject', () => {
    const doc = ar(fleetModel());
    const items = doc.results[0]['local-definitions']['inventory-items'] as J[];
    expect(items).toHaveLength(4);
    const web = items.find((i) => props(i)['asset-id'] === 'host-web01')!;
    expect(propAll(web, 'ipv4-address')).toEqual(['10.0.0.11']);
    expect(propAll(web, 'ipv6-address')).toEqual(['fe80::1']);
    expect(props(web).fqdn).toBe('web01.example.gov');
    const uuids = new Set(items.map((i) => i.uuid));
    const observations = doc.results[0].observations as J[];
    expect(observations).toHaveLength(48);
    for (const o of observations) {
      expect(o.subjects).toHaveLength(1);
      expect(o.subjects[0].type).toBe('inventory-item');
      expect(uuids.has(o.subjects[0]['subject-uuid'])).toBe(true);
    }
  });

  it('carries the evidence of each check: expected, observed, collected time, pack id, version and digest, sources', () => {
    const doc = ar(fleetModel());
    const o = (doc.results[0].observations as J[]).find((x) => x.title === 'linux.fw.default-deny on db01')!;
    const p = props(o);
    expect(p).toMatchObject({ 'rule-id': 'linux.fw.default-deny', 'pack-id': 'linux-network-baseline', 'pack-version': '1.2.0', 'pack-sha256': 'a'.repeat(64), result: 'fail', verdict: 'fail', expected: 'value == 0', observed: 'value = 1', severity: 'critical' });
    expect(o.collected).toBe('2026-11-26T11:30:00.000Z');
    expect(o.methods).toEqual(['TEST']);
    const ev = o['relevant-evidence'][0] as J;
    expect(propAll(ev, 'source')).toEqual(['/proc/sys/net/ipv4/ip_forward', '/etc/sysctl.d/99-custom.conf']);
    expect(ev.description).toContain('"runtime":1');
    // Observed values with newlines are printed as canonical JSON: one line.
    expect(ev.description).not.toMatch(/\n/);
  });

  it('describes each rule once as an assessment activity (with its citations), and links observations to it through a task', () => {
    const doc = ar(fleetModel());
    const activities = doc['local-definitions'].activities as J[];
    expect(activities).toHaveLength(12);
    const ssh = activities.find((a) => props(a)['rule-id'] === 'linux.ssh.root-login-disabled')!;
    expect(propAll(ssh, 'nist-800-53')).toEqual(['AC-17(2)', 'AC-6(2)']);
    expect(propAll(ssh, 'directive')).toEqual(['BOD-23-02']);
    expect(props(ssh)).toMatchObject({ method: 'TEST', 'clock-days': '14', 'clock-directive': 'BOD-23-02' });
    expect(ssh['related-controls']['control-selections'][0]['include-controls'].map((c: J) => c['control-id'])).toEqual(['ac-6.2', 'ac-17.2']);
    const res = doc.results[0];
    const tasks = res['local-definitions'].tasks as J[];
    const sshTask = tasks.find((t) => t['associated-activities'][0]['activity-uuid'] === ssh.uuid)!;
    expect(sshTask['associated-activities'][0].subjects[0]['include-all']).toEqual({});
    const obs = (res.observations as J[]).filter((o) => props(o)['rule-id'] === 'linux.ssh.root-login-disabled');
    expect(obs).toHaveLength(4);
    expect(obs.every((o) => o.origins[0]['related-tasks'][0]['task-uuid'] === sshTask.uuid)).toBe(true);
    // A rule that ran on only some hosts lists them instead of claiming every host.
    const model = fleetModel();
    model.results = model.results.filter((r) => !(r.ruleId === 'linux.pkg.no-telnet' && r.hostId === 'host-db01'));
    const partial = ar(model);
    const telnet = (partial['local-definitions'].activities as J[]).find((a) => props(a)['rule-id'] === 'linux.pkg.no-telnet')!;
    const telnetTask = (partial.results[0]['local-definitions'].tasks as J[]).find((t) => t['associated-activities'][0]['activity-uuid'] === telnet.uuid)!;
    expect(telnetTask['associated-activities'][0].subjects[0]['include-subjects']).toHaveLength(3);
    expect(validate(evidenceToOscal(model)).errors).toEqual([]);
  });

  it('never presents an error or a not-applicable result as a pass', () => {
    const obs = ar(fleetModel()).results[0].observations as J[];
    const err = obs.find((x) => x.title === 'linux.edr.agent-running on web01.example.gov')!;
    expect(props(err)).toMatchObject({ result: 'error', verdict: 'error', 'error-code': 'ERR_PROBE_PERMISSION' });
    expect(err.remarks).toMatch(/not a pass/);
    const na = obs.find((x) => x.title === 'linux.kmod.dccp-disabled on db01')!;
    expect(props(na)).toMatchObject({ result: 'not-applicable', verdict: 'not-applicable' });
    expect(na.remarks).toMatch(/not a pass/);
    expect(na.remarks).toContain('offline root: no runtime values');
  });

  it('links findings for failing rules to their NIST 800-53 control objectives, with related observations and risks', () => {
    const res = ar(fleetModel()).results[0];
    const findings = res.findings as J[];
    const sc7 = findings.find((f) => f.target['target-id'] === 'sc-7_obj')!;
    expect(sc7.target.type).toBe('objective-id');
    expect(sc7.target.status).toMatchObject({ state: 'not-satisfied', reason: 'fail' });
    const obsUuids = new Set((res.observations as J[]).map((o) => o.uuid));
    expect(sc7['related-observations'].every((r: J) => obsUuids.has(r['observation-uuid']))).toBe(true);
    const riskUuids = new Set((res.risks as J[]).map((r) => r.uuid));
    expect(sc7['related-risks'].length).toBeGreaterThan(0);
    expect(sc7['related-risks'].every((r: J) => riskUuids.has(r['risk-uuid']))).toBe(true);
    // Enhancements and statement items use the catalog's identifiers.
    const ids = findings.map((f) => f.target['target-id']);
    expect(ids).toContain('ac-17.2_obj');
    expect(ids).toContain('sc-7.5_obj');
    expect(ids).toContain('ia-5.1_smt.c');
    expect(findings.find((f) => f.target['target-id'] === 'ia-5.1_smt.c')!.target.type).toBe('statement-id');
    // A control where every check passed is satisfied, with the caveat that only the tested settings are covered.
    const cm71 = findings.find((f) => f.target['target-id'] === 'cm-7.1_obj')!;
    expect(cm71.target.status).toMatchObject({ state: 'satisfied', reason: 'pass' });
    expect(cm71.target.status.remarks).toMatch(/only the technical settings/);
    // A control where nothing failed but checks errored is not shown satisfied.
    const si4 = findings.find((f) => f.target['target-id'] === 'si-4_obj')!;
    expect(si4.target.status).toMatchObject({ state: 'not-satisfied', reason: 'other' });
    expect(props(si4).determination).toBe('undetermined');
    // Reviewed controls list every cited control, and the IA-5(1)(c) statement.
    const selected = res['reviewed-controls']['control-selections'][0]['include-controls'] as J[];
    expect(selected.map((c) => c['control-id'])).toEqual(['ac-6.2', 'ac-17.2', 'au-2', 'au-8.1', 'au-12', 'cm-7', 'cm-7.1', 'ia-5.1', 'sc-7', 'sc-7.5', 'sc-13', 'si-2', 'si-4']);
    expect(selected.find((c) => c['control-id'] === 'ia-5.1')!['statement-ids']).toEqual(['ia-5.1_smt.c']);
  });

  it('says so when a failure is waived, and counts it as failed again once the waiver expired', () => {
    const res = ar(fleetModel()).results[0];
    const risks = res.risks as J[];
    const waived = risks.find((r) => props(r)['waiver-id'] === 'W-7')!;
    expect(waived.status).toBe('deviation-approved');
    expect(props(waived)).toMatchObject({ waived: 'yes', 'waiver-state': 'active', 'waiver-approver': 'Ana Núñez <ana@example.gov>', 'waiver-risk': 'medium' });
    expect(waived['risk-log'].entries[0]['status-change']).toBe('deviation-approved');
    const expired = risks.find((r) => props(r)['waiver-id'] === 'W-3')!;
    expect(expired.status).toBe('open');
    expect(props(expired)).toMatchObject({ waived: 'no', 'waiver-state': 'expired', 'due-state': 'due-soon' });
    expect(expired.deadline).toBe('2026-11-29T12:00:00.000Z');
    expect(expired['risk-log'].entries.map((x: J) => x['status-change'])).toEqual(['deviation-approved', 'open']);
    const overdue = risks.find((r) => props(r)['rule-id'] === 'linux.ssh.root-login-disabled' && props(r)['host-id'] === 'host-web01')!;
    expect(props(overdue)['due-state']).toBe('overdue');
    const obs = (res.observations as J[]).find((o) => o.title === 'linux.ssh.root-login-disabled on edge01.example.gov')!;
    expect(props(obs).verdict).toBe('waived');
    expect(obs.remarks).toMatch(/Waiver W-7 \(active until 2027-02-01/);
    // Result-level counts: waived failures are not counted as failed.
    expect(props(res)).toMatchObject({ 'checks-waived': '1' });
  });

  it('puts the BOD 26-04 tier, forensic triage, exposure and each CVE with its inputs on the risk, and stays valid', () => {
    const res = ar(fleetModel()).results[0];
    const r = (res.risks as J[]).find((x) => props(x)['rule-id'] === 'linux.updates.security-pending')!;
    expect(props(r)).toMatchObject({ 'bod-26-04-tier': 't3-forensics', 'forensic-triage': 'yes', exposure: 'unset', 'due-state': 'due-soon' });
    expect(r.deadline).toBe('2026-11-28T00:00:00.000Z');
    const tier = (r.props as J[]).find((p) => p.name === 'bod-26-04-tier')!;
    expect(tier.remarks).toBe('BOD 26-04 Table 1 tier t3-forensics: 3 days + forensic triage from first detection; host exposure unset (treated as internet-exposed); set by CVE-2025-3248');
    const cves = (r.props as J[]).filter((p) => p.name === 'cve');
    expect(cves.map((p) => [p.value, p.class])).toEqual([
      ['CVE-2024-0001', 't14'],
      ['CVE-2025-3248', 't3-forensics'],
    ]);
    expect(cves[1]!.remarks).toContain('automatable no (directive default), technical impact total (directive default)');
    expect(r.statement).toContain('BOD 26-04 Table 1 tier t3-forensics: 3 days + forensic triage');
    expect(r.statement).not.toContain('Directive clock: 14 days');
    // A "next upgrade" tier has no deadline, and the document still validates.
    const model = fleetModel();
    const web = model.results.find((x) => x.ruleId === 'linux.updates.security-pending' && x.hostId === 'host-web01')!;
    web.bod2604 = decideBod2604([{ cve: 'CVE-2024-0001', kev: false, automatable: 'no', technicalImpact: 'partial' }], 'internal');
    delete web.dueAt;
    const doc = evidenceToOscal(model);
    expect(validate(doc).errors).toEqual([]);
    const upgrade = ((doc['assessment-results'] as J).results[0].risks as J[]).find((x) => props(x)['rule-id'] === 'linux.updates.security-pending')!;
    expect(upgrade.deadline).toBeUndefined();
    expect(props(upgrade)['bod-26-04-tier']).toBe('next-upgrade');
  });

  it('marks a control whose only failures are waived as not satisfied with an approved deviation', () => {
    const model = fleetModel();
    // Leave only the waived failure of AC-17(2) and AC-6(2): make every other citing result pass.
    for (const r of model.results) {
      if (r.references.nist.includes('AC-6(2)') && !r.waiver) r.status = 'pass';
    }
    const f = (ar(model).results[0].findings as J[]).find((x) => x.target['target-id'] === 'ac-6.2_obj')!;
    expect(f.target.status).toMatchObject({ state: 'not-satisfied', reason: 'other' });
    expect(props(f)).toMatchObject({ determination: 'waived', waived: 'yes' });
    expect(f.title).toMatch(/waived/);
  });

  it('after the waiver expires (a later as-of), the same failure counts as failed by itself', () => {
    const model = fleetModel();
    model.assessment.generatedAt = '2027-03-01T00:00:00.000Z';
    const risks = ar(model).results[0].risks as J[];
    const r = risks.find((x) => props(x)['waiver-id'] === 'W-7')!;
    expect(r.status).toBe('open');
    expect(props(r)['waiver-state']).toBe('expired');
  });

  it('points import-ap at a back-matter resource describing the rule packs, with their digests', () => {
    const doc = ar(fleetModel());
    const href = doc['import-ap'].href as string;
    expect(href).toMatch(/^#[0-9a-f-]{36}$/);
    const resources = doc['back-matter'].resources as J[];
    expect(resources.some((r) => r.uuid === href.slice(1))).toBe(true);
    const pack = resources.find((r) => props(r)['resource-type'] === 'rule-pack')!;
    expect(props(pack)).toMatchObject({ 'pack-id': 'linux-network-baseline', 'pack-sha256': 'a'.repeat(64) });
    expect(doc.metadata['last-modified']).toBe(AS_OF);
    expect(doc.metadata.parties[0].name).toBe('Department of Examples');
  });

  it('rejects an invalid evidence model with ERR_EVIDENCE_INVALID, listing the problem', () => {
    const model = fleetModel();
    model.results.push({ ...model.results[0]! });
    model.results.push({ ...model.results[1]!, hostId: 'nobody' });
    try {
      evidenceToOscal(model);
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err) && err.code).toBe('ERR_EVIDENCE_INVALID');
      expect((err as Error).message).toMatch(/two results for rule/);
      expect((err as Error).message).toMatch(/unknown host "nobody"/);
    }
  });

  it('turns a scan report into the same kind of document (fromScanReport)', () => {
    const model = fleetModel();
    const results = model.results.filter((r) => r.hostId === 'host-web01').map(({ hostId: _h, collectedAt: _c, firstSeenAt: _f, dueAt: _d, waiver: _w, ...rest }) => rest);
    const report = {
      schema: 'rampart.scan-report/1' as const,
      tool: { name: 'rampart' as const, version: '0.1.0' },
      scanId: '00000000-0000-4000-8000-000000000000',
      startedAt: '2026-11-26T11:29:59.000Z',
      finishedAt: '2026-11-26T11:30:00.000Z',
      durationMs: 1000,
      host: { hostname: 'web01', machineId: 'abc', os: { id: 'debian', idLike: [], versionId: '12' }, mode: 'live' as const, root: '/', container: false },
      packs: model.assessment.packs,
      results,
      summary: { total: 12, pass: 0, fail: 0, error: 0, notApplicable: 0, failBySeverity: { critical: 0, high: 0, medium: 0, low: 0 }, score: 0 },
    };
    const m = fromScanReport(report);
    expect(m.hosts[0]!.id).toBe('abc');
    expect(m.results.every((r) => r.hostId === 'abc' && r.collectedAt === report.finishedAt)).toBe(true);
    expect(validate(evidenceToOscal(m)).errors).toEqual([]);
  });
});

describe('evidenceToOscal date-times', () => {
  it('writes every time as UTC with seconds, whatever offset the model used', () => {
    const model = fleetModel();
    model.assessment.generatedAt = '2026-11-26T07:00:00-05:00';
    model.results[0]!.collectedAt = '2026-11-26T17:00:00+05:45';
    const doc = evidenceToOscal(model);
    expect(validate(doc).errors).toEqual([]);
    const res = (doc['assessment-results'] as J).results[0];
    expect((doc['assessment-results'] as J).metadata['last-modified']).toBe('2026-11-26T12:00:00.000Z');
    expect(res.start).toBe('2026-11-26T11:15:00.000Z');
  });
});
