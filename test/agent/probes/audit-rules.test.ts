import { describe, expect, it } from 'vitest';
import { auditRulesProbe } from '../../../agent/probes/audit-rules.js';
import { parseAuditRules } from '../../../agent/sources/audit-rules.js';
import { offlineRootHost } from '../../../agent/host/fs-host.js';
import { createScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';

describe('audit-rules probe', () => {
  it('reads the loaded rules from auditctl -l on a live host', async () => {
    const obs = await auditRulesProbe.run({}, await fixtureContext('rhel9-hardened'));
    expect(obs).toMatchObject({ status: 'observed', values: { source: 'auditctl -l', enabled: 2 } });
    if (obs.status === 'observed') {
      expect(obs.values.watches).toContainEqual({ path: '/etc/sysconfig/network', perms: 'wa', key: 'audit_rules_networkconfig_modification' });
      expect(obs.values.syscalls).toContainEqual(expect.objectContaining({ arch: 'b64', syscalls: ['sethostname', 'setdomainname'], action: 'always', list: 'exit' }));
    }
  });

  it('reports no rules when auditd runs with an empty rule set', async () => {
    const obs = await auditRulesProbe.run({}, await fixtureContext('rhel9-default'));
    expect(obs).toMatchObject({ status: 'observed', values: { rules: [], watches: [], syscalls: [], enabled: 1 } });
  });

  it('reads rules.d files when auditctl cannot answer (container, offline root)', async () => {
    const obs = await auditRulesProbe.run({}, await fixtureContext('debian12-hardened'));
    expect(obs).toMatchObject({ status: 'observed', values: { source: 'rule files', enabled: null } });
    if (obs.status === 'observed') expect(obs.values.watches).toContainEqual({ path: '/etc/network', perms: 'wa', key: 'system-locale' });
    const host = offlineRootHost(fixtureRoot('ubuntu2204-hardened'));
    const off = await auditRulesProbe.run({}, createScanContext(host, await readHostFacts(host)));
    expect(off).toMatchObject({ status: 'observed', values: { source: 'rule files', files: ['/etc/audit/rules.d/stig.rules'] } });
  });

  it('is not applicable without auditd (including SSG\'s wrong Debian name "audit")', async () => {
    const obs = await auditRulesProbe.run({}, await fixtureContext('debian12-default'));
    expect(obs).toMatchObject({ status: 'not-applicable' });
  });

  it('normalises -S lists, -k keys and auditctl -l directory watches', () => {
    const r = parseAuditRules([
      '-a exit,always -F arch=b32 -S sethostname -S setdomainname -k net',
      '-a always,exit -F dir=/etc/network/ -F perm=wa -F key=net',
      '-w /etc/hosts/ -p wa',
      '-e 2',
    ].join('\n'));
    expect(r.syscalls).toEqual([{ action: 'always', list: 'exit', arch: 'b32', syscalls: ['sethostname', 'setdomainname'], key: 'net', filters: [] }]);
    expect(r.watches).toEqual([{ path: '/etc/network', perms: 'wa', key: 'net' }, { path: '/etc/hosts', perms: 'wa', key: null }]);
    expect(r.rules).toHaveLength(4);
  });
});
