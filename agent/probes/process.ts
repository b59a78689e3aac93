/**
 * @module Probe `process`: whether a named program is running (runtime only), matched on the
 * kernel's short name (comm) or the basename of argv[0], optionally filtered by its arguments.
 */
import { z } from 'zod';
import { isRegExp } from '../../shared/expectation.js';
import { defineProbe, observed, runtimeMissing } from './probe.js';
import { readProcesses, type ProcessInfo } from '../sources/processes.js';

const ProcName = z.string().regex(/^[^/\s]{1,64}$/, 'a program name without slashes, e.g. sshd');

/** comm is cut to 15 characters by the kernel, so a longer name matches a comm that is its prefix. */
export function nameMatches(p: ProcessInfo, names: readonly string[]): boolean {
  // A rewritten title ("sshd: /usr/sbin/sshd -D [listener] ...") arrives as one string: take its first word.
  const argv0 = p.cmdline[0]?.split(/\s/)[0]?.split('/').pop()?.replace(/:$/, '');
  return names.some((n) => p.comm === n || (n.length > 15 && p.comm === n.slice(0, 15)) || argv0 === n);
}

export const processProbe = defineProbe({
  type: 'process',
  summary: 'Whether a program is running: processes whose name (comm or argv[0] basename) is one of `names`, optionally with arguments matching a regex.',
  params: () => z.strictObject({
    names: z.array(ProcName).min(1),
    /** ECMAScript regex tested against the command line joined with spaces. */
    argsMatch: z.string().refine(isRegExp, 'not a valid regular expression').optional(),
  }),
  fields: {
    running: 'true when at least one process matches',
    count: 'number of matching processes',
    pids: 'their process ids',
    names: 'distinct names (comm) of the matching processes',
    matches: 'list of {pid, comm, cmdline, uid} (cmdline joined with spaces, cut to 512 characters)',
  },
  example: { names: ['falcon-sensor', 'wdavdaemon', 'mfetpd'] },
  badExamples: [{}, { names: [] }, { names: ['/usr/sbin/sshd'] }, { names: ['sshd'], argsMatch: '(' }, { names: ['x'], extra: 1 }],
  async run(params, ctx) {
    const procs = await readProcesses(ctx);
    if (procs === undefined) return runtimeMissing(ctx, 'the process table (/proc)');
    const re = params.argsMatch === undefined ? undefined : new RegExp(params.argsMatch);
    const hits = procs.filter((p) => nameMatches(p, params.names) && (re === undefined || re.test(p.cmdline.join(' '))));
    return observed(
      {
        running: hits.length > 0,
        count: hits.length,
        pids: hits.map((p) => p.pid),
        names: [...new Set(hits.map((p) => p.comm))],
        matches: hits.map((p) => ({ pid: p.pid, comm: p.comm, cmdline: p.cmdline.join(' ').slice(0, 512), uid: p.uid ?? null })),
      },
      ['/proc'],
    );
  },
});
