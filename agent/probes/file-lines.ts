/**
 * @module Probe `file-lines`: lines of configuration files (globs allowed) that match a regular
 * expression, with their capture groups. The generic reader for rsyslog forwarding, audit rule
 * files, banners, chrony server lines and the like.
 */
import { z } from 'zod';
import { isRegExp } from '../../shared/expectation.js';
import { defineProbe, observed } from './probe.js';
import { isComment, readConfigFiles } from '../sources/config-files.js';

const MAX_MATCHES = 200;

export const fileLinesProbe = defineProbe({
  type: 'file-lines',
  summary: 'Lines of files (globs allowed) matching an ECMAScript regex, comment lines skipped, with named and numbered capture groups.',
  params: () => z.strictObject({
    paths: z.array(z.string().startsWith('/', 'absolute paths or globs')).min(1),
    match: z.string().refine(isRegExp, 'not a valid regular expression'),
    ignoreCase: z.boolean().default(false),
    /** Skip lines whose first non-blank characters are a comment marker. */
    stripComments: z.boolean().default(true),
    commentMarkers: z.array(z.string().min(1)).min(1).default(['#']),
  }),
  fields: {
    files: 'the files that exist and were read, in order',
    anyFile: 'true when at least one file exists',
    count: 'number of matching lines',
    matches: 'list of {file, line (1-based), text, groups (named groups), captures (numbered groups)}, at most 200',
  },
  example: { paths: ['/etc/rsyslog.conf', '/etc/rsyslog.d/*.conf'], match: '^\\S+\\s+@@?(?<target>\\S+)' },
  badExamples: [{}, { paths: [], match: 'x' }, { paths: ['relative'], match: 'x' }, { paths: ['/x'], match: '(' }, { paths: ['/x'], match: 'x', extra: 1 }],
  async run(params, ctx) {
    const re = new RegExp(params.match, params.ignoreCase ? 'i' : '');
    const files = await readConfigFiles(ctx, params.paths);
    const matches: Record<string, unknown>[] = [];
    let count = 0;
    for (const f of files) {
      f.text.split('\n').forEach((raw, i) => {
        const line = raw.replace(/\r$/, '');
        if (params.stripComments && isComment(line, params.commentMarkers)) return;
        const m = re.exec(line);
        if (!m) return;
        count++;
        if (matches.length < MAX_MATCHES) {
          matches.push({ file: f.path, line: i + 1, text: line.trim(), groups: { ...(m.groups ?? {}) }, captures: m.slice(1).map((c) => c ?? null) });
        }
      });
    }
    return observed({ files: files.map((f) => f.path), anyFile: files.length > 0, count, matches }, files.length > 0 ? files.map((f) => f.path) : params.paths);
  },
});
