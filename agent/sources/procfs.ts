/**
 * @module Whether this host (or offline root) holds runtime state: /proc and /sys. A live host always
 * does; an offline root only when it carries captured runtime files. Probes use this to tell
 * "the key does not exist on this kernel" (observed, null) from "there is no running kernel here" (N/A).
 */
import type { ScanContext } from '../engine/context.js';

/** True when `dir` (default /proc/sys) exists on this host. Memoised per scan. */
export function runtimePresent(ctx: ScanContext, dir = '/proc/sys'): Promise<boolean> {
  return ctx.memo(`source:present:${dir}`, async () => (await ctx.host.lstat(dir)) !== undefined);
}

/** The running kernel's release (uname -r) from /proc/sys/kernel/osrelease; undefined without runtime. */
export function kernelRelease(ctx: ScanContext): Promise<string | undefined> {
  return ctx.memo('source:kernel-release', async () => {
    const text = await ctx.host.readFile('/proc/sys/kernel/osrelease');
    const rel = text?.trim();
    return rel ? rel : undefined;
  });
}
