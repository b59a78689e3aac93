/**
 * @module Probe `audit-rules`: the Linux audit rules in force (auditctl -l when live, else the
 * persistent rule files), as watches and syscall rules. Not applicable without auditd.
 */
import { z } from 'zod';
import { defineProbe, notApplicable, observed } from './probe.js';
import { readAuditRules } from '../sources/audit-rules.js';
import { readPackageDb, findPackage } from '../sources/packages.js';
import { readFileOnce } from '../engine/context.js';

export const auditRulesProbe = defineProbe({
  type: 'audit-rules',
  summary: 'Linux audit rules in force (auditctl -l live, else /etc/audit/rules.d/*.rules): watches and syscall rules; not-applicable without auditd.',
  params: () => z.strictObject({}),
  fields: {
    source: '"auditctl -l" or "rule files"',
    files: 'rule files read (empty when auditctl answered)',
    rules: 'every rule line, whitespace normalised',
    watches: 'list of {path (no trailing slash), perms (e.g. "wa"), key}',
    syscalls: 'list of {action, list, arch (b32/b64 or null), syscalls (names), key, filters ("name=value")}',
    enabled: 'auditctl -s "enabled" value (0, 1, 2); null when unknown',
    notes: 'caveats (auditctl failed and files were read instead)',
  },
  example: {},
  badExamples: [{ path: '/etc/audit' }, null],
  async run(_params, ctx) {
    const db = await readPackageDb(ctx);
    if (db.kind === 'db') {
      const hit = findPackage(db, ['auditd', 'audit']);
      if (!hit.pkg?.installed) return notApplicable('auditd is not installed (packages auditd / audit)', [db.source]);
    } else if ((await readFileOnce(ctx, '/etc/audit/auditd.conf')) === undefined) {
      return notApplicable('auditd is not installed (no /etc/audit/auditd.conf)', ['/etc/audit/auditd.conf']);
    }
    const r = await readAuditRules(ctx);
    return observed(
      { source: r.source, files: r.files, rules: r.rules, watches: r.watches, syscalls: r.syscalls, enabled: r.enabled, notes: r.notes },
      r.source === 'auditctl -l' ? ['auditctl -l'] : r.files,
    );
  },
});
