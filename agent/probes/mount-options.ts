/**
 * @module Probe `mount-options`: whether a mount point is mounted, with which options, and what
 * /etc/fstab says for it (e.g. /tmp with nodev,nosuid,noexec).
 */
import { z } from 'zod';
import { readFstab, readMounts, visibleMount } from '../sources/mounts.js';
import { defineProbe, observed, runtimeMissing } from './probe.js';
import { ScopeSchema, wantsPersisted, wantsRuntime } from './runtime-scope.js';

export const mountOptionsProbe = defineProbe({
  type: 'mount-options',
  summary: 'One mount point: mounted or not, its current options, and its /etc/fstab entry.',
  params: () => z.strictObject({
    mount: z.string().regex(/^\/[^\n\0]*$/, 'an absolute mount point such as /tmp'),
    scope: ScopeSchema,
  }),
  fields: {
    mounted: 'true when something is mounted there now; null without runtime',
    runtimeAvailable: 'false on an offline root that holds no mount table',
    options: 'per-mount options now, e.g. ["rw","nosuid","nodev","noexec","relatime"]; null when not mounted',
    fstype: 'filesystem type now; null when not mounted',
    device: 'mount source now; null when not mounted',
    inFstab: 'true when /etc/fstab has an entry for the mount point',
    fstabOptions: 'options of that entry; null when none',
  },
  example: { mount: '/tmp' },
  badExamples: [{}, { mount: 'tmp' }, { mount: '/tmp\nx' }, { mount: '/tmp', scope: 'x' }],
  async run(params, ctx) {
    const values: Record<string, unknown> = {};
    const sources: string[] = [];
    const mountPoint = params.mount.length > 1 ? params.mount.replace(/\/+$/, '') : params.mount;
    if (wantsRuntime(params.scope)) {
      const table = await readMounts(ctx);
      if (table === undefined && params.scope === 'runtime') return runtimeMissing(ctx, 'the mount table (/proc/self/mountinfo)');
      values.runtimeAvailable = table !== undefined;
      const m = table ? visibleMount(table.mounts, mountPoint) : undefined;
      values.mounted = table === undefined ? null : m !== undefined;
      values.options = m?.options ?? null;
      values.fstype = m?.fstype ?? null;
      values.device = m?.source ?? null;
      if (table) sources.push(table.file);
    }
    if (wantsPersisted(params.scope)) {
      const fstab = await readFstab(ctx);
      let entry;
      for (const e of fstab ?? []) if (e.mountPoint === mountPoint) entry = e;
      values.inFstab = entry !== undefined;
      values.fstabOptions = entry?.options ?? null;
      if (fstab) sources.push('/etc/fstab');
    }
    return observed(values, sources);
  },
});
