/**
 * @module Probe `kv-config`: the value of one key in key/value configuration files (globs
 * allowed), e.g. `inet_interfaces = localhost` in postfix's main.cf or `cmdport 0` in chrony.conf.
 */
import { z } from 'zod';
import { defineProbe, observed } from './probe.js';
import { isComment, readConfigFiles } from '../sources/config-files.js';

const SEPARATORS = { whitespace: /^(\S+)\s+(.*)$/, equals: /^([^=\s]+)\s*=\s*(.*)$/, colon: /^([^:\s]+)\s*:\s*(.*)$/ } as const;

/** A value as a number when it is one, else the string without one pair of outer quotes. */
export function kvValue(raw: string): string | number {
  let v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1);
  return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

export const kvConfigProbe = defineProbe({
  type: 'kv-config',
  summary: 'One key of key/value config files (globs allowed, read in order): whether it is set, the effective value and every value.',
  params: () => z.strictObject({
    paths: z.array(z.string().startsWith('/', 'absolute paths or globs')).min(1),
    key: z.string().min(1).regex(/^\S+$/, 'a key without blanks'),
    separator: z.enum(['whitespace', 'equals', 'colon']).default('whitespace'),
    caseInsensitive: z.boolean().default(true),
    /** true: the first assignment wins (sshd, chrony sources); false (default): the last one wins. */
    first: z.boolean().default(false),
    commentMarkers: z.array(z.string().min(1)).min(1).default(['#']),
  }),
  fields: {
    set: 'true when the key is assigned in any file',
    value: 'the effective value (number when numeric, outer quotes removed); null when not set',
    values: 'every assignment in reading order',
    file: 'the file holding the effective assignment; null when not set',
    files: 'the files that exist and were read',
  },
  example: { paths: ['/etc/postfix/main.cf'], key: 'inet_interfaces', separator: 'equals' },
  badExamples: [{}, { paths: ['/x'] }, { paths: ['/x'], key: 'a b' }, { paths: ['/x'], key: 'k', separator: 'tab' }, { paths: ['x'], key: 'k' }],
  async run(params, ctx) {
    const files = await readConfigFiles(ctx, params.paths);
    const want = params.caseInsensitive ? params.key.toLowerCase() : params.key;
    const hits: { file: string; value: string | number }[] = [];
    for (const f of files) {
      for (const raw of f.text.split('\n')) {
        const line = raw.replace(/\r$/, '').trim();
        if (line === '' || isComment(line, params.commentMarkers)) continue;
        const m = SEPARATORS[params.separator].exec(line);
        if (!m) continue;
        const key = params.caseInsensitive ? m[1]!.toLowerCase() : m[1]!;
        if (key === want) hits.push({ file: f.path, value: kvValue(m[2]!) });
      }
    }
    const eff = params.first ? hits[0] : hits[hits.length - 1];
    return observed(
      { set: hits.length > 0, value: eff?.value ?? null, values: hits.map((h) => h.value), file: eff?.file ?? null, files: files.map((f) => f.path) },
      files.length > 0 ? files.map((f) => f.path) : params.paths,
    );
  },
});
