/**
 * @module Probe `kernel-module`: whether a kernel module can be loaded — loaded now (/proc/modules),
 * blacklisted and install-redirected in the modprobe.d drop-ins, or built into the kernel image.
 */
import { z } from 'zod';
import { kernelRelease, runtimePresent } from '../sources/procfs.js';
import { moduleKey, readBuiltinModules, readLoadedModules, readModprobeConfig } from '../sources/modprobe-config.js';
import { defineProbe, observed, runtimeMissing } from './probe.js';
import { ScopeSchema, wantsPersisted, wantsRuntime } from './runtime-scope.js';

/** Commands that make `modprobe NAME` do nothing (STIG/CIS use /bin/false, older SSG /bin/true). */
const NO_OP_COMMANDS = new Set(['/bin/false', '/bin/true', '/usr/bin/false', '/usr/bin/true']);

export const kernelModuleProbe = defineProbe({
  type: 'kernel-module',
  summary: 'Whether a kernel module is loaded, blacklisted, redirected to a no-op install command, or built into the kernel.',
  params: () => z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'a module name such as dccp'),
    scope: ScopeSchema,
  }),
  fields: {
    loaded: 'true when listed in /proc/modules (false when the kernel has no loadable-module support); null without runtime',
    runtimeAvailable: 'false on an offline root that holds no /proc (loaded is then null)',
    blacklisted: 'a `blacklist NAME` line exists in the effective modprobe.d drop-ins',
    installCommand: 'command of the first `install NAME ...` line (modprobe uses that one); null when none',
    installDisabled: 'the install command is /bin/false or /bin/true (or the /usr/bin ones), so modprobe cannot load the module',
    builtin: 'listed in modules.builtin of the running (or only installed) kernel — then it cannot be disabled by modprobe.d; null when unknown',
    configFiles: 'files holding blacklist or install lines for this module',
  },
  example: { name: 'dccp' },
  badExamples: [{}, { name: '' }, { name: 'dccp; rm -rf /' }, { name: '../x' }, { name: 'dccp', scope: 'x' }],
  async run(params, ctx) {
    const key = moduleKey(params.name);
    const values: Record<string, unknown> = {};
    const sources: string[] = [];
    const present = await runtimePresent(ctx, '/proc');
    if (wantsRuntime(params.scope)) {
      if (!present && params.scope === 'runtime') return runtimeMissing(ctx, `/proc/modules (whether ${params.name} is loaded)`);
      values.runtimeAvailable = present;
      values.loaded = null;
      if (present) {
        const loaded = await readLoadedModules(ctx);
        // A kernel built without module support has no /proc/modules: nothing is loaded as a module.
        values.loaded = loaded === undefined ? false : loaded.has(key);
        sources.push('/proc/modules');
      }
    }
    if (wantsPersisted(params.scope)) {
      const config = await readModprobeConfig(ctx);
      const blacklist = config.blacklist.get(key) ?? [];
      const install = config.install.get(key) ?? [];
      const command = install[0]?.command ?? null;
      values.blacklisted = blacklist.length > 0;
      values.installCommand = command;
      values.installDisabled = command !== null && NO_OP_COMMANDS.has(command.split(' ')[0]!) && !command.includes('modprobe');
      values.configFiles = [...new Set([...blacklist, ...install].map((d) => d.file))];
      const builtin = await readBuiltinModules(ctx, present ? await kernelRelease(ctx) : undefined);
      values.builtin = builtin === undefined ? null : builtin.names.has(key);
      sources.push(...config.files);
      if (builtin) sources.push(builtin.file);
    }
    return observed(values, sources);
  },
});
