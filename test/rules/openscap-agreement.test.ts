/**
 * @module Verdict agreement with OpenSCAP: every shipped rule that names a ComplianceAsCode id
 * must reach the verdict SSG reached for that id on the same machine (the debian12-default
 * fixture, captured from the Debian 12 host where bench/openscap/run.mjs recorded SSG's verdicts),
 * except for the ids below where SSG is known to be wrong on Debian (docs/openscap-comparison.md).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FixtureHost } from '../../agent/host/fs-host.js';
import { runScan } from '../../agent/engine/runner.js';
import { loadPacks } from '../../agent/rules/load-packs.js';
import type { CompiledPack } from '../../agent/rules/compiled.js';
import type { CheckStatus, RuleResult } from '../../shared/result.js';
import { REPO_ROOT, fixtureRoot } from '../helpers/fixtures.js';

type SsgVerdict = 'pass' | 'fail' | 'notapplicable' | 'error' | 'notchecked';
/** vacuous: SSG passes (or fails) a configuration check of software that is not installed. */
type Category = 'vacuous' | 'content-bug' | 'not-debian' | 'env-error';

interface Allowed {
  category: Category;
  /** SSG's verdict on this host (checked against the verdicts file, so the list cannot go stale). */
  ssg: SsgVerdict;
  /** The verdicts Rampart may give instead of SSG's (agreeing with SSG is always accepted too). */
  rampart: CheckStatus[];
  reason: string;
}

const NO_SSHD = 'openssh-server is not installed; SSG passes sshd checks when the server is absent (a vacuous pass), Rampart says not-applicable';
const vacuousSshd = (): Allowed => ({ category: 'vacuous', ssg: 'pass', rampart: ['not-applicable'], reason: NO_SSHD });

/**
 * Where SSG 0.1.65 is wrong on Debian 12 (openscap-notes.md sections 3 and 5, and the OVAL of the ids
 * beyond the 110 that the packs name). Keep in step with docs/openscap-comparison.md.
 */
export const ALLOWED_DISAGREEMENTS: Readonly<Record<string, Allowed>> = {
  file_owner_sshd_config: vacuousSshd(),
  file_groupowner_sshd_config: vacuousSshd(),
  file_permissions_sshd_config: vacuousSshd(),
  file_permissions_sshd_private_key: vacuousSshd(),
  file_permissions_sshd_pub_key: vacuousSshd(),
  sshd_disable_root_login: vacuousSshd(),
  sshd_disable_empty_passwords: vacuousSshd(),
  sshd_disable_rhosts: vacuousSshd(),
  disable_host_auth: vacuousSshd(),
  sshd_do_not_permit_user_env: vacuousSshd(),
  sshd_set_max_auth_tries: vacuousSshd(),
  sshd_set_max_sessions: vacuousSshd(),
  sshd_set_idle_timeout: vacuousSshd(),
  sshd_set_keepalive: vacuousSshd(),
  sshd_set_loglevel_info: vacuousSshd(),
  sshd_disable_x11_forwarding: vacuousSshd(),
  sshd_set_login_grace_time: vacuousSshd(),
  sshd_set_maxstartups: vacuousSshd(),
  sshd_disable_tcp_forwarding: vacuousSshd(),
  sshd_enable_warning_banner_net: vacuousSshd(),
  sshd_disable_gssapi_auth: vacuousSshd(),
  sshd_disable_kerb_auth: vacuousSshd(),
  sshd_enable_strictmodes: vacuousSshd(),
  sshd_disable_user_known_hosts: vacuousSshd(),
  sshd_enable_pam: vacuousSshd(),
  sshd_disable_compression: vacuousSshd(),
  sshd_allow_only_protocol2: vacuousSshd(),
  sshd_print_last_log: vacuousSshd(),
  sshd_x11_use_localhost: vacuousSshd(),
  sshd_enable_pubkey_auth: vacuousSshd(),
  sshd_rekey_limit: vacuousSshd(),
  sshd_enable_warning_banner: vacuousSshd(),
  sshd_set_loglevel_verbose: vacuousSshd(),
  sshd_use_approved_ciphers: {
    category: 'content-bug',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'SSG ANDs the check with "the OS is FIPS-certified" (RHEL/SLE/Ubuntu <= 20.04), so it fails on Debian whatever sshd says, even with sshd absent; Rampart: openssh-server absent, not-applicable',
  },
  sshd_use_approved_macs: {
    category: 'content-bug',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'same FIPS-certified-OS conjunct as sshd_use_approved_ciphers: always fail on Debian; Rampart: openssh-server absent, not-applicable',
  },
  sshd_use_approved_ciphers_ordered_stig: {
    category: 'content-bug',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'ANDed with "the OS is FIPS-certified" like sshd_use_approved_ciphers: always fail on Debian, even with sshd absent; Rampart: openssh-server absent, not-applicable',
  },
  sshd_use_approved_macs_ordered_stig: {
    category: 'content-bug',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'ANDed with "the OS is FIPS-certified": always fail on Debian, even with sshd absent; Rampart: openssh-server absent, not-applicable',
  },
  harden_ssh_client_crypto_policy: {
    category: 'not-debian',
    ssg: 'fail',
    rampart: ['pass', 'not-applicable'],
    reason: 'SSG looks for the RHEL crypto-policy file /etc/ssh/ssh_config.d/02-ospp.conf, which Debian never has; the Debian check reads ssh_config itself',
  },
  service_iptables_enabled: {
    category: 'not-debian',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'SSG wants the RHEL iptables-services unit; Debian has no iptables.service (rules are loaded by netfilter-persistent or nftables.service)',
  },
  service_ip6tables_enabled: {
    category: 'not-debian',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'SSG wants the RHEL iptables-ipv6 package and ip6tables unit, neither of which exists on Debian',
  },
  service_auditd_enabled: {
    category: 'content-bug',
    ssg: 'notapplicable',
    rampart: ['fail'],
    reason: 'the ubuntu2204 content gates the rule on package "audit" (Debian: auditd), so SSG never evaluates it on Debian; auditd is absent here, so fail (auditd required) or not-applicable (rule gated on auditd) are both honest',
  },
  auditd_audispd_configure_remote_server: {
    category: 'content-bug',
    ssg: 'notapplicable',
    rampart: ['fail'],
    reason: 'gated on package "audit" (Debian: auditd), so SSG never evaluates it on Debian; Rampart\'s rule asks for any remote log forwarding (rsyslog or audisp) and none is configured here',
  },
  rsyslog_encrypt_offload_actionsendstreamdriverauthmode: {
    category: 'vacuous',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'SSG fails the TLS settings of rsyslog forwarding when rsyslog is not installed (a vacuous fail); Rampart: no forwarding configured, so its TLS does not apply (the missing forwarding fails linux.log.remote-forwarding)',
  },
  rsyslog_encrypt_offload_actionsendstreamdrivermode: {
    category: 'vacuous',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'as rsyslog_encrypt_offload_actionsendstreamdriverauthmode: a vacuous fail with rsyslog absent; Rampart: no forwarding, not-applicable',
  },
  rsyslog_encrypt_offload_defaultnetstreamdriver: {
    category: 'vacuous',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'as rsyslog_encrypt_offload_actionsendstreamdriverauthmode: a vacuous fail with rsyslog absent; Rampart: no forwarding, not-applicable',
  },
  aide_build_database: {
    category: 'vacuous',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'SSG ANDs "aide is installed" into the database check, so it fails when aide is absent (a vacuous fail); Rampart: aide absent, not-applicable (linux.fim.aide-installed fails instead, like package_aide_installed)',
  },
  aide_periodic_cron_checking: {
    category: 'vacuous',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'as aide_build_database: fails because aide is absent; Rampart: not-applicable, the absence is reported by linux.fim.aide-installed',
  },
  aide_check_audit_tools: {
    category: 'vacuous',
    ssg: 'fail',
    rampart: ['not-applicable'],
    reason: 'as aide_build_database: fails because aide is absent; Rampart: not-applicable, the absence is reported by linux.fim.aide-installed',
  },
  service_timesyncd_enabled: {
    category: 'env-error',
    ssg: 'error',
    rampart: ['not-applicable'],
    reason: 'PID 1 is not systemd in this container, so unit state cannot be read: SSG errors; Rampart errors too (live host) or says not-applicable',
  },
  audit_rules_privileged_commands_ssh_keysign: {
    category: 'not-debian',
    ssg: 'notapplicable',
    rampart: ['fail'],
    reason: 'SSG watches /usr/libexec/openssh/ssh-keysign (RHEL); Debian installs /usr/lib/openssh/ssh-keysign, and auditd is absent here',
  },
};

const SSG_TO_RAMPART: Record<SsgVerdict, CheckStatus | undefined> = {
  pass: 'pass',
  fail: 'fail',
  notapplicable: 'not-applicable',
  error: 'error',
  notchecked: undefined,
};

/** Once the baseline pack exists, at least this many CaC ids must be compared. */
const MIN_COMPARED = 60;

const verdictsFile = path.join(REPO_ROOT, 'test/fixtures/openscap/debian12-ssg-verdicts.json');
const { verdicts } = JSON.parse(readFileSync(verdictsFile, 'utf8')) as { verdicts: Record<string, SsgVerdict> };

interface Comparison {
  cac: string;
  ruleId: string;
  ssg: SsgVerdict;
  rampart: CheckStatus;
  agree: boolean;
  allowed?: Allowed;
}

function compare(results: RuleResult[]): Comparison[] {
  const out: Comparison[] = [];
  for (const r of results) {
    for (const cac of r.references.cac) {
      const ssg = verdicts[cac];
      if (ssg === undefined || SSG_TO_RAMPART[ssg] === undefined) continue;
      const allowed = ALLOWED_DISAGREEMENTS[cac];
      out.push({ cac, ruleId: r.ruleId, ssg, rampart: r.status, agree: SSG_TO_RAMPART[ssg] === r.status, ...(allowed ? { allowed } : {}) });
    }
  }
  return out;
}

describe('verdict agreement with OpenSCAP SSG on debian12-default', () => {
  it('has SSG verdicts for the 110 network rules, and every allow-listed id records SSG\'s real verdict', () => {
    const selection = readFileSync(path.join(REPO_ROOT, 'bench/openscap/selection.txt'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(selection).toHaveLength(110);
    expect(selection.filter((id) => verdicts[id] === undefined)).toEqual([]);
    for (const [id, a] of Object.entries(ALLOWED_DISAGREEMENTS)) {
      expect({ id, ssg: verdicts[id] }).toEqual({ id, ssg: a.ssg });
      expect(a.rampart).not.toContain(SSG_TO_RAMPART[a.ssg]);
    }
  });

  it('documents every allow-listed id in docs/openscap-comparison.md', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/openscap-comparison.md'), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('Where SSG is wrong on Debian')) ?? '';
    const documented = [...section.matchAll(/^\| `([a-z0-9_-]+)` \| ([a-z-]+) \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    const listed = Object.entries(ALLOWED_DISAGREEMENTS).map(([id, a]) => `${id} ${a.category}`).sort();
    expect(documented).toEqual(listed);
  });

  it('agrees with SSG on every CaC id a shipped rule names, except documented SSG errors', async () => {
    const { packs } = await loadPacks();
    const host = new FixtureHost(fixtureRoot('debian12-default'));
    const report = await runScan({ host, packs, now: new Date('2026-11-26T12:00:00Z') });
    const rows = compare(report.results);

    const unexpected = rows
      .filter((c) => !c.agree && !(c.allowed && c.allowed.rampart.includes(c.rampart)))
      .map((c) => `${c.cac} (rule ${c.ruleId}): Rampart ${c.rampart}, SSG ${c.ssg}${c.allowed ? ` (allowed only: ${c.allowed.rampart.join('/')})` : ''}`);
    expect(unexpected, 'verdicts that disagree with SSG').toEqual([]);

    const compared = new Set(rows.map((c) => c.cac));
    expect(compared.size, `only ${compared.size} CaC ids compared (${[...compared].join(', ')})`).toBeGreaterThanOrEqual(MIN_COMPARED);
  });
});
