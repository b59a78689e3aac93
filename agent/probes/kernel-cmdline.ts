/**
 * @module Probe `kernel-cmdline`: kernel boot arguments as the running kernel got them and as the
 * boot loader configuration will pass them at the next boot; optionally the value of one parameter.
 */
import { z } from 'zod';
import { argValue, readBootloaderConfig, readRuntimeCmdline } from '../sources/boot-cmdline.js';
import { runtimePresent } from '../sources/procfs.js';
import { defineProbe, notApplicable, observed, runtimeMissing } from './probe.js';
import { ScopeSchema, wantsPersisted, wantsRuntime } from './runtime-scope.js';

const orNull = (v: string | undefined): string | null => (v === undefined ? null : v);

export const kernelCmdlineProbe = defineProbe({
  type: 'kernel-cmdline',
  summary: 'Kernel boot arguments: running (/proc/cmdline) and configured in GRUB defaults, BLS entries and /etc/kernel/cmdline.',
  params: () => z.strictObject({
    /** A parameter name such as audit or audit_backlog_limit ('-' and '_' are the same). */
    parameter: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'a kernel parameter name such as audit').optional(),
    scope: ScopeSchema,
  }),
  fields: {
    runtime: 'arguments of the running kernel (/proc/cmdline, up to "--"); null without runtime',
    runtimeAvailable: 'false on an offline root that holds no /proc',
    runtimeValue: 'value of `parameter` in the running command line ("" for a bare flag); null when absent',
    bootloader: 'GRUB_CMDLINE_LINUX then GRUB_CMDLINE_LINUX_DEFAULT arguments from /etc/default/grub and grub.d/*.cfg; null when there is no GRUB defaults file',
    bootloaderFiles: 'GRUB defaults files read',
    bootloaderValue: 'value of `parameter` in those arguments (last wins); null when absent or no GRUB defaults',
    grubLinuxValue: 'value of `parameter` in GRUB_CMDLINE_LINUX alone (which also reaches recovery entries)',
    bootEntries: 'BLS entries (/boot/loader/entries/*.conf): [{file, args}]',
    bootEntriesValues: 'value of `parameter` in each BLS entry, null where absent (empty when there are no entries)',
    kernelCmdline: 'arguments in /etc/kernel/cmdline; null when absent',
    kernelCmdlineValue: 'value of `parameter` there; null when absent',
  },
  example: { parameter: 'audit' },
  badExamples: [{ parameter: '' }, { parameter: 'audit=1; reboot' }, { scope: 'never' }, { other: 1 }],
  async run(params, ctx) {
    const values: Record<string, unknown> = {};
    const sources: string[] = [];
    const name = params.parameter;
    if (wantsRuntime(params.scope)) {
      const present = await runtimePresent(ctx, '/proc');
      const args = present ? await readRuntimeCmdline(ctx) : undefined;
      if (args === undefined && params.scope === 'runtime') return runtimeMissing(ctx, '/proc/cmdline');
      values.runtimeAvailable = args !== undefined;
      values.runtime = args ?? null;
      if (name !== undefined) values.runtimeValue = args === undefined ? null : orNull(argValue(args, name));
      if (args !== undefined) sources.push('/proc/cmdline');
    }
    if (wantsPersisted(params.scope)) {
      const boot = await readBootloaderConfig(ctx);
      const none = boot.grubArgs === undefined && boot.entries.length === 0 && boot.kernelCmdline === undefined;
      if (none && params.scope === 'persisted') {
        return notApplicable('no boot loader configuration here (no /etc/default/grub, BLS entries or /etc/kernel/cmdline): a container or an image that does not boot itself');
      }
      values.bootloader = boot.grubArgs ?? null;
      values.bootloaderFiles = boot.grubFiles;
      values.bootEntries = boot.entries;
      values.kernelCmdline = boot.kernelCmdline ?? null;
      if (name !== undefined) {
        values.bootloaderValue = boot.grubArgs ? orNull(argValue(boot.grubArgs, name)) : null;
        values.grubLinuxValue = boot.grubLinuxArgs ? orNull(argValue(boot.grubLinuxArgs, name)) : null;
        values.bootEntriesValues = boot.entries.map((e) => orNull(argValue(e.args, name)));
        values.kernelCmdlineValue = boot.kernelCmdline ? orNull(argValue(boot.kernelCmdline, name)) : null;
      }
      sources.push(...boot.grubFiles, ...boot.entries.map((e) => e.file));
      if (boot.kernelCmdline) sources.push('/etc/kernel/cmdline');
    }
    return observed(values, sources);
  },
});
