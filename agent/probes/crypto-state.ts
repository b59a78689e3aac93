/**
 * @module Probe `crypto-state`: FIPS mode of the running kernel and, on RHEL-family hosts, the
 * system-wide crypto policy (/etc/crypto-policies) and whether its back-ends were overridden locally.
 */
import { z } from 'zod';
import type { ScanContext } from '../engine/context.js';
import { readFileOnce } from '../engine/context.js';
import { kernelRelease, runtimePresent } from '../sources/procfs.js';
import { defineProbe, observed, runtimeMissing } from './probe.js';
import { ScopeSchema, wantsPersisted, wantsRuntime } from './runtime-scope.js';

const POLICY_DIR = '/etc/crypto-policies';
const SHARE_DIR = '/usr/share/crypto-policies/';

function firstSetting(text: string | undefined): string | null {
  if (text === undefined) return null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line !== '') return line;
  }
  return null;
}

/**
 * Back-ends that do not come from the selected policy. A plain policy (DEFAULT, FIPS, ...) is
 * installed as symlinks into /usr/share/crypto-policies/<POLICY>/; a policy with sub-policies
 * (FIPS:OSPP) is generated into regular files. Anything in local.d is a local override.
 */
async function overriddenBackEnds(ctx: ScanContext, policy: string | null): Promise<{ backEnds: string[]; overridden: string[] }> {
  const names = (await ctx.host.readDir(`${POLICY_DIR}/back-ends`)) ?? [];
  const generated = policy !== null && policy.includes(':');
  const overridden: string[] = [];
  for (const name of names) {
    const path = `${POLICY_DIR}/back-ends/${name}`;
    const link = await ctx.host.readLink(path);
    if (link === undefined) {
      if (!generated) overridden.push(path);
      continue;
    }
    const abs = link.startsWith('/') ? link : `${POLICY_DIR}/back-ends/${link}`;
    const base = policy?.split(':')[0];
    if (!abs.startsWith(SHARE_DIR) || (base !== undefined && !abs.startsWith(`${SHARE_DIR}${base}/`))) overridden.push(path);
  }
  for (const name of (await ctx.host.readDir(`${POLICY_DIR}/local.d`)) ?? []) overridden.push(`${POLICY_DIR}/local.d/${name}`);
  return { backEnds: names, overridden };
}

export const cryptoStateProbe = defineProbe({
  type: 'crypto-state',
  summary: 'FIPS mode of the running kernel and the RHEL system-wide crypto policy (configured, applied, locally overridden).',
  params: () => z.strictObject({ scope: ScopeSchema }),
  fields: {
    fipsEnabled: 'true/false from /proc/sys/crypto/fips_enabled; null when the kernel has no such switch or there is no runtime',
    fipsKernel: 'the running kernel release names a FIPS kernel (Ubuntu Pro fips kernels, e.g. 5.15.0-1049-fips); null without runtime',
    runtimeAvailable: 'false on an offline root that holds no /proc/sys',
    cryptoPoliciesPresent: 'true when /etc/crypto-policies exists (RHEL family)',
    cryptoPolicy: 'configured policy: first setting in /etc/crypto-policies/config (e.g. DEFAULT, FIPS:OSPP); null when absent',
    cryptoPolicyApplied: 'policy in force: `update-crypto-policies --show` on a live host, else /etc/crypto-policies/state/current; null when unknown',
    backEnds: 'names of the generated back-end files under /etc/crypto-policies/back-ends',
    overridden: 'back-ends not produced by the selected policy, and files in /etc/crypto-policies/local.d',
  },
  example: {},
  badExamples: [{ scope: 'x' }, { policy: 'FIPS' }],
  async run(params, ctx) {
    const values: Record<string, unknown> = {};
    const sources: string[] = [];
    if (wantsRuntime(params.scope)) {
      const present = await runtimePresent(ctx);
      if (!present && params.scope === 'runtime') return runtimeMissing(ctx, '/proc/sys/crypto/fips_enabled');
      values.runtimeAvailable = present;
      values.fipsEnabled = null;
      values.fipsKernel = null;
      if (present) {
        const text = await readFileOnce(ctx, '/proc/sys/crypto/fips_enabled');
        if (text !== undefined) values.fipsEnabled = text.trim() === '1';
        const rel = await kernelRelease(ctx);
        if (rel !== undefined) values.fipsKernel = /fips/i.test(rel);
        sources.push('/proc/sys/crypto/fips_enabled', '/proc/sys/kernel/osrelease');
      }
    }
    if (wantsPersisted(params.scope)) {
      const present = (await ctx.host.lstat(POLICY_DIR)) !== undefined;
      values.cryptoPoliciesPresent = present;
      const policy = present ? firstSetting(await readFileOnce(ctx, `${POLICY_DIR}/config`)) : null;
      values.cryptoPolicy = policy;
      let applied: string | null = null;
      if (present) {
        const shown = await ctx.memo('command:crypto-policy', () => ctx.host.run('crypto-policy'));
        if (shown !== undefined && shown.exitCode === 0) applied = firstSetting(shown.stdout);
        else applied = firstSetting(await readFileOnce(ctx, `${POLICY_DIR}/state/current`));
      }
      values.cryptoPolicyApplied = applied;
      const { backEnds, overridden } = present ? await overriddenBackEnds(ctx, policy) : { backEnds: [], overridden: [] };
      values.backEnds = backEnds;
      values.overridden = overridden;
      if (present) sources.push(`${POLICY_DIR}/config`, `${POLICY_DIR}/back-ends`);
    }
    return observed(values, sources);
  },
});
