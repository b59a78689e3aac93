/**
 * @module Probe `file`: existence, type, ownership and permission bits of one path.
 */
import { z } from 'zod';
import { defineProbe, observed } from './probe.js';

const OctalMode = z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode such as 0644');

export const fileProbe = defineProbe({
  type: 'file',
  summary: 'Metadata of one path: whether it exists, its type, owner, group and permission bits.',
  params: () => z.strictObject({
    path: z.string().startsWith('/', 'an absolute path'),
    /** Follow a final symlink (default) or describe the link itself. */
    follow: z.boolean().default(true),
    /** When set, `modeWithinMax` says whether the mode grants nothing beyond this (e.g. 0600 "or stricter"). */
    maxMode: OctalMode.optional(),
  }),
  fields: {
    exists: 'true when the path exists',
    type: 'file, dir, symlink or other',
    mode: 'permission bits as a four-digit octal string, e.g. "0644"',
    uid: 'numeric owner',
    gid: 'numeric group',
    size: 'size in bytes',
    worldWritable: 'true when others may write',
    modeWithinMax: 'true when no permission bit beyond maxMode is set (needs maxMode)',
  },
  example: { path: '/etc/passwd', maxMode: '0644' },
  badExamples: [{}, { path: 'relative/path' }, { path: '/etc/passwd', maxMode: '999' }, { path: '/x', extra: 1 }],
  async run(params, ctx) {
    const st = params.follow ? await ctx.host.stat(params.path) : await ctx.host.lstat(params.path);
    if (st === undefined) return observed({ exists: false }, [params.path]);
    const values: Record<string, unknown> = {
      exists: true,
      type: st.type,
      mode: st.mode.toString(8).padStart(4, '0'),
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      worldWritable: (st.mode & 0o002) !== 0,
    };
    if (params.maxMode !== undefined) values.modeWithinMax = (st.mode & ~parseInt(params.maxMode, 8) & 0o7777) === 0;
    return observed(values, [params.path]);
  },
});
