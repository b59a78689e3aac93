/**
 * @module Kernel command lines, read once per scan: the running one (/proc/cmdline) and the ones the
 * boot loader will use — GRUB_CMDLINE_LINUX / GRUB_CMDLINE_LINUX_DEFAULT from /etc/default/grub and
 * /etc/default/grub.d/*.cfg, BLS entries in /boot/loader/entries (RHEL), and /etc/kernel/cmdline.
 */
import type { ScanContext } from '../engine/context.js';
import { expandGlob } from '../host/glob.js';

/** Split a command line into arguments (double quotes group), stopping at `--` (the rest is for init). */
export function splitCmdline(text: string): string[] {
  const args: string[] = [];
  const re = /(?:[^\s"]+|"[^"]*")+/g;
  for (const m of text.matchAll(re)) {
    const arg = m[0].replace(/"/g, '');
    if (arg === '--') break;
    args.push(arg);
  }
  return args;
}

/** Value of `name` in an argument list: last occurrence wins; "" for a bare flag; undefined when absent. */
export function argValue(args: readonly string[], name: string): string | undefined {
  const want = name.replace(/-/g, '_');
  let value: string | undefined;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = (eq < 0 ? arg : arg.slice(0, eq)).replace(/-/g, '_');
    if (key === want) value = eq < 0 ? '' : arg.slice(eq + 1);
  }
  return value;
}

/**
 * Evaluate the shell assignments of /etc/default/grub-style files (VAR="..." / VAR='...' / VAR=word,
 * with $VAR and ${VAR} expanded from earlier assignments). Command substitution is left as text.
 */
export function parseGrubDefaults(text: string, vars: Map<string, string>): void {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let rhs = m[2]!.trim();
    let value: string;
    if (rhs.startsWith("'")) {
      value = rhs.slice(1, rhs.indexOf("'", 1) < 0 ? undefined : rhs.indexOf("'", 1));
    } else {
      if (rhs.startsWith('"')) {
        const end = rhs.indexOf('"', 1);
        rhs = rhs.slice(1, end < 0 ? undefined : end);
      } else rhs = rhs.split(/\s+#|\s/)[0] ?? '';
      value = rhs.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_s, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? '');
    }
    vars.set(m[1]!, value);
  }
}

export interface BootloaderConfig {
  /** Files that set the GRUB defaults, in reading order. */
  grubFiles: string[];
  /** Arguments of GRUB_CMDLINE_LINUX then GRUB_CMDLINE_LINUX_DEFAULT; undefined when no GRUB defaults file. */
  grubArgs?: string[];
  /** Arguments of GRUB_CMDLINE_LINUX alone (it also reaches recovery entries). */
  grubLinuxArgs?: string[];
  /** BLS boot entries (RHEL): the `options` line of each. */
  entries: { file: string; args: string[] }[];
  /** /etc/kernel/cmdline (kernel-install / UKI); undefined when absent. */
  kernelCmdline?: string[];
}

export function readBootloaderConfig(ctx: ScanContext): Promise<BootloaderConfig> {
  return ctx.memo('source:bootloader-config', async () => {
    const config: BootloaderConfig = { grubFiles: [], entries: [] };
    const vars = new Map<string, string>();
    const grubFiles = ['/etc/default/grub', ...(await expandGlob(ctx.host, '/etc/default/grub.d/*.cfg'))];
    for (const file of grubFiles) {
      const text = await ctx.host.readFile(file);
      if (text === undefined) continue;
      config.grubFiles.push(file);
      parseGrubDefaults(text, vars);
    }
    if (config.grubFiles.length > 0) {
      config.grubLinuxArgs = splitCmdline(vars.get('GRUB_CMDLINE_LINUX') ?? '');
      config.grubArgs = [...config.grubLinuxArgs, ...splitCmdline(vars.get('GRUB_CMDLINE_LINUX_DEFAULT') ?? '')];
    }
    for (const file of await expandGlob(ctx.host, '/boot/loader/entries/*.conf')) {
      const text = await ctx.host.readFile(file);
      if (text === undefined) continue;
      const options = /^options\s+(.*)$/m.exec(text)?.[1] ?? '';
      config.entries.push({ file, args: splitCmdline(options) });
    }
    const kc = await ctx.host.readFile('/etc/kernel/cmdline');
    if (kc !== undefined) config.kernelCmdline = splitCmdline(kc.trim());
    return config;
  });
}

/** The running kernel's arguments; undefined without /proc/cmdline. */
export function readRuntimeCmdline(ctx: ScanContext): Promise<string[] | undefined> {
  return ctx.memo('source:proc-cmdline', async () => {
    const text = await ctx.host.readFile('/proc/cmdline');
    return text === undefined ? undefined : splitCmdline(text.replace(/\0/g, ' ').trim());
  });
}
