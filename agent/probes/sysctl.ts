/**
 * @module Probe `sysctl`: one kernel parameter, both as the running kernel has it (/proc/sys) and as
 * the boot-time configuration will set it (the merged sysctl.d drop-ins and /etc/sysctl.conf).
 */
import { z } from 'zod';
import { readFileOnce } from '../engine/context.js';
import { runtimePresent } from '../sources/procfs.js';
import { normalizeSysctlValue, readSysctlConfig, sysctlPathKey } from '../sources/sysctl-config.js';
import { defineProbe, observed, runtimeMissing } from './probe.js';
import { ScopeSchema, wantsPersisted, wantsRuntime } from './runtime-scope.js';

const KeySchema = z
  .string()
  .regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.\/-]*$/, 'a sysctl key such as net.ipv4.ip_forward')
  .refine((k) => !k.split(/[./]/).includes('..') && !k.includes('//'), 'no empty or parent path segments');

export const sysctlProbe = defineProbe({
  type: 'sysctl',
  summary: 'A kernel parameter: its running value (/proc/sys) and the value the sysctl.d configuration persists across reboots.',
  params: () => z.strictObject({
    /** Dotted (net.ipv4.ip_forward) or slash form. */
    key: KeySchema,
    scope: ScopeSchema,
  }),
  fields: {
    runtime: 'value in /proc/sys now (numbers as numbers, runs of whitespace as one space); null when the key does not exist on this kernel or there is no runtime',
    runtimeAvailable: 'false on an offline root that holds no /proc/sys (runtime is then null)',
    persisted: 'value of the last assignment after merging /etc, /run, /usr/local/lib, /usr/lib sysctl.d (*.conf, by file name, same name masks) and /etc/sysctl.conf; null when never set',
    persistedFile: 'file holding that last assignment; null when never set',
    persistedValues: 'every assignment of the key seen, in order: [{file, line, value}]',
    persistedConflict: 'true when the files assign more than one distinct value (SSG then fails the key even if the last value is right)',
  },
  example: { key: 'net.ipv4.ip_forward' },
  badExamples: [{}, { key: '' }, { key: 'net ipv4' }, { key: '../../etc/shadow' }, { key: 'net.ipv4.ip_forward', scope: 'later' }, { key: 'a', extra: 1 }],
  async run(params, ctx) {
    const path = sysctlPathKey(params.key);
    const procPath = `/proc/sys/${path}`;
    const values: Record<string, unknown> = {};
    const sources: string[] = [];
    if (wantsRuntime(params.scope)) {
      const available = await runtimePresent(ctx);
      if (!available && params.scope === 'runtime') return runtimeMissing(ctx, `${procPath} (running value of ${params.key})`);
      values.runtimeAvailable = available;
      values.runtime = null;
      if (available) {
        const text = await readFileOnce(ctx, procPath);
        if (text !== undefined) values.runtime = normalizeSysctlValue(text);
        sources.push(procPath);
      }
    }
    if (wantsPersisted(params.scope)) {
      const config = await readSysctlConfig(ctx);
      const list = config.byKey.get(path) ?? [];
      const last = list[list.length - 1];
      values.persisted = last === undefined ? null : last.value;
      values.persistedFile = last === undefined ? null : last.file;
      values.persistedValues = list.map((a) => ({ file: a.file, line: a.line, value: a.value }));
      values.persistedConflict = new Set(list.map((a) => String(a.value))).size > 1;
      sources.push(...config.files);
    }
    return observed(values, sources);
  },
});
