/**
 * @module A realistic evidence model for export tests: several hosts, many NIST controls, and every
 * kind of verdict (pass, fail, error, not-applicable, waived, waiver expired, overdue, due soon),
 * with awkward text (newlines, markup, spreadsheet formulas, non-ASCII) where users can put it.
 */
import type { EvidenceHost, EvidenceModel, EvidenceResult } from '../../shared/evidence/model.js';
import type { CheckStatus } from '../../shared/result.js';
import type { Severity } from '../../shared/rule-pack.js';
import { decideBod2604 } from '../../shared/bod-26-04.js';

export const AS_OF = '2026-11-26T12:00:00.000Z';
const PACK = { id: 'linux-network-baseline', title: 'Linux network baseline', version: '1.2.0', sha256: 'a'.repeat(64), ruleCount: 12 };

interface RuleDef {
  id: string;
  title: string;
  severity: Severity;
  nist: string[];
  directives: string[];
  clockDays?: number;
  clockDirective?: string;
}

const RULES: RuleDef[] = [
  { id: 'linux.net.ip-forward-disabled', title: 'IPv4 packet forwarding is off', severity: 'medium', nist: ['CM-7', 'SC-7'], directives: ['M-22-09'] },
  { id: 'linux.ssh.root-login-disabled', title: 'SSH root login is disabled', severity: 'high', nist: ['AC-17(2)', 'AC-6(2)'], directives: ['BOD-23-02'], clockDays: 14, clockDirective: 'BOD-23-02' },
  { id: 'linux.ssh.ciphers-fips', title: 'SSH uses FIPS-approved ciphers', severity: 'high', nist: ['SC-13', 'AC-17(2)'], directives: ['M-22-09', 'EO-14028'], clockDays: 30, clockDirective: 'EO-2026-06-02' },
  { id: 'linux.fw.default-deny', title: 'Firewall default policy drops inbound', severity: 'critical', nist: ['SC-7(5)'], directives: ['BOD-23-02'], clockDays: 14, clockDirective: 'BOD-23-02' },
  { id: 'linux.time.ntp-approved', title: 'Time comes from approved servers', severity: 'low', nist: ['AU-8(1)'], directives: [] },
  { id: 'linux.auth.password-hash', title: 'Passwords use a strong hash', severity: 'medium', nist: ['IA-5(1)(c)'], directives: ['M-22-09'] },
  { id: 'linux.log.auditd-running', title: 'auditd is running', severity: 'medium', nist: ['AU-2', 'AU-12'], directives: ['M-21-31'], clockDays: 30, clockDirective: 'M-21-31' },
  { id: 'linux.edr.agent-running', title: 'An EDR agent is running', severity: 'high', nist: ['SI-4'], directives: ['EO-14028'] },
  { id: 'linux.pkg.no-telnet', title: 'telnet server is not installed', severity: 'high', nist: ['CM-7(1)'], directives: ['BOD-23-02'] },
  { id: 'linux.kmod.dccp-disabled', title: 'DCCP module cannot load', severity: 'low', nist: ['CM-7'], directives: [] },
  { id: 'linux.updates.security-pending', title: 'No pending security updates', severity: 'high', nist: ['SI-2'], directives: ['BOD-26-04'], clockDays: 14, clockDirective: 'BOD-26-04' },
  { id: 'linux.misc.no-references', title: 'A rule that cites no NIST control', severity: 'low', nist: [], directives: [] },
];

export const FLEET_HOSTS: EvidenceHost[] = [
  { id: 'host-web01', hostname: 'web01.example.gov', machineId: '0123456789abcdef0123456789abcdef', os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, ipAddresses: ['10.0.0.11', 'fe80::1'], mode: 'live', container: false, kernel: '6.1.0-18-amd64', arch: 'x86_64' },
  { id: 'host-db01', hostname: 'db01', os: { id: 'rhel', versionId: '9.4', prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)' }, mode: 'live', container: false, tags: ['database'] },
  { id: 'host-edge01', hostname: 'edge01.example.gov', os: { id: 'ubuntu', versionId: '22.04' }, ipAddresses: ['192.0.2.7'], mode: 'live', container: false, tags: ['router'] },
  { id: 'host-img01', hostname: 'golden-image', os: { id: 'debian', versionId: '12' }, mode: 'offline-root', root: '/mnt/images/golden', container: false },
];

/** Status of each rule on each host (row: rule index; columns: hosts in FLEET_HOSTS order). */
const MATRIX: CheckStatus[][] = [
  ['pass', 'pass', 'fail', 'not-applicable'],
  ['fail', 'pass', 'fail', 'pass'],
  ['pass', 'fail', 'pass', 'pass'],
  ['fail', 'fail', 'pass', 'not-applicable'],
  ['pass', 'error', 'pass', 'not-applicable'],
  ['pass', 'pass', 'pass', 'pass'],
  ['fail', 'pass', 'error', 'not-applicable'],
  ['error', 'error', 'error', 'not-applicable'],
  ['pass', 'pass', 'pass', 'pass'],
  ['not-applicable', 'not-applicable', 'not-applicable', 'not-applicable'],
  ['fail', 'pass', 'pass', 'not-applicable'],
  ['fail', 'pass', 'pass', 'pass'],
];

function result(rule: RuleDef, host: EvidenceHost, status: CheckStatus): EvidenceResult {
  const failing = status === 'fail';
  return {
    ruleId: rule.id,
    packId: PACK.id,
    title: rule.title,
    severity: rule.severity,
    status,
    expected: 'value == 0',
    observed: failing ? 'value = 1' : status === 'error' ? 'not observed' : status === 'not-applicable' ? 'not applicable' : 'value = 0',
    evidence: [
      {
        probe: 'sysctl',
        params: { key: 'net.ipv4.ip_forward' },
        status,
        expected: 'runtime == 0; persisted == 0',
        observed: { runtime: failing ? 1 : 0, persisted: 0, note: 'line one\nline two' },
        sources: ['/proc/sys/net/ipv4/ip_forward', '/etc/sysctl.d/99-custom.conf'],
        ...(status === 'error' ? { error: { code: 'ERR_PROBE_PERMISSION', message: 'permission denied reading /proc' } } : {}),
        ...(status === 'not-applicable' ? { reason: 'offline root: no runtime values' } : {}),
      },
    ],
    ...(status === 'error' ? { error: { code: 'ERR_PROBE_PERMISSION', message: 'permission denied reading /proc' } } : {}),
    ...(status === 'not-applicable' ? { reason: 'offline root: no runtime values' } : {}),
    references: { directives: rule.directives, nist: rule.nist, stig: ['RHEL-09-253075'], cis: ['r9 3.3.1'], cac: ['sysctl_net_ipv4_ip_forward'], cve: [], other: [] },
    remediation: 'Set net.ipv4.ip_forward = 0 in /etc/sysctl.d/60-rampart.conf and run `sysctl --system`.',
    ...(rule.clockDays ? { clockDays: rule.clockDays } : {}),
    ...(rule.clockDirective ? { clockDirective: rule.clockDirective } : {}),
    durationMs: 1.5,
    hostId: host.id,
    collectedAt: '2026-11-26T11:30:00.000Z',
  };
}

/** The fleet: 4 hosts x 12 rules, plus due dates and waivers on some failures. */
export function fleetModel(): EvidenceModel {
  const results: EvidenceResult[] = [];
  RULES.forEach((rule, i) =>
    FLEET_HOSTS.forEach((host, j) => {
      results.push(result(rule, host, MATRIX[i]![j]!));
    }),
  );
  const find = (ruleId: string, hostId: string) => results.find((r) => r.ruleId === ruleId && r.hostId === hostId)!;
  // SSH root login on web01: overdue (first seen 30 days ago, 14-day clock).
  Object.assign(find('linux.ssh.root-login-disabled', 'host-web01'), { firstSeenAt: '2026-10-27T09:00:00.000Z', dueAt: '2026-11-10T09:00:00.000Z' });
  // Same rule on edge01: waived (active), with awkward text in the waiver.
  Object.assign(find('linux.ssh.root-login-disabled', 'host-edge01'), {
    firstSeenAt: '2026-11-20T09:00:00.000Z',
    dueAt: '2026-12-04T09:00:00.000Z',
    waiver: { id: 'W-7', justification: '=HYPERLINK("http://evil")  Router <b>needs</b> "root" & console access\nuntil Q1', approver: 'Ana Núñez <ana@example.gov>', risk: 'medium', start: '2026-11-01T00:00:00.000Z', expiry: '2027-02-01T00:00:00.000Z', scope: 'host' },
  });
  // Firewall default deny on db01: waiver expired, so it counts as failed again; due soon.
  Object.assign(find('linux.fw.default-deny', 'host-db01'), {
    firstSeenAt: '2026-11-15T12:00:00.000Z',
    dueAt: '2026-11-29T12:00:00.000Z',
    waiver: { id: 'W-3', justification: 'Migration window', approver: 'ciso@example.gov', risk: 'high', start: '2026-10-01T00:00:00.000Z', expiry: '2026-11-20T00:00:00.000Z' },
  });
  // Security updates on web01: a KEV-listed CVE on a host without an exposure tag, so BOD 26-04
  // Table 1 gives 3 days + forensic triage (automatable and impact defaulted): due soon.
  const cves = [{ cve: 'CVE-2025-3248', kev: true, kevDueDate: '2025-05-26', kevDateAdded: '2025-05-05' }, { cve: 'CVE-2024-0001', kev: false, automatable: 'yes' as const, technicalImpact: 'partial' as const }];
  Object.assign(find('linux.updates.security-pending', 'host-web01'), { cves, firstSeenAt: '2026-11-25T00:00:00.000Z', dueAt: '2026-11-28T00:00:00.000Z', bod2604: decideBod2604(cves, null) });
  return {
    schema: 'rampart.evidence/1',
    assessment: {
      title: 'Department of Examples: network hardening posture',
      scope: 'agency',
      agency: { id: 'doe-x', name: 'Department of Examples' },
      generatedAt: AS_OF,
      tool: { name: 'rampart', version: '0.1.0' },
      packs: [PACK],
      tailoring: { id: 'doe-x-2026', sha256: 'b'.repeat(64) },
    },
    hosts: FLEET_HOSTS.map((h) => ({ ...h })),
    results,
  };
}
