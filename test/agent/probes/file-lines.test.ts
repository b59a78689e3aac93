import { describe, expect, it } from 'vitest';
import { fileLinesProbe } from '../../../agent/probes/file-lines.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';

const run = (ctx: ScanContext, params: unknown) => fileLinesProbe.run(fileLinesProbe.params.parse(params), ctx);
const RSYSLOG = ['/etc/rsyslog.conf', '/etc/rsyslog.d/*.conf'];

describe('file-lines probe', () => {
  it('finds rsyslog forwarding with its target as a named group', async () => {
    const obs = await run(await fixtureContext('ubuntu2204-hardened'), { paths: RSYSLOG, match: 'type\\s*=\\s*"omfwd".*target\\s*=\\s*"(?<target>[^"]+)"' });
    expect(obs).toMatchObject({ status: 'observed', values: { count: 1, anyFile: true } });
    if (obs.status === 'observed') {
      const [m] = obs.values.matches as { file: string; line: number; groups: Record<string, string> }[];
      expect(m).toMatchObject({ file: '/etc/rsyslog.d/60-forward-tls.conf', groups: { target: 'logs.agency.example.gov' } });
      expect(obs.values.files).toEqual(['/etc/rsyslog.conf', '/etc/rsyslog.d/50-default.conf', '/etc/rsyslog.d/60-forward-tls.conf']);
    }
  });

  it('skips commented lines (the RHEL sample forwarding rule does not count)', async () => {
    const ctx = await fixtureContext('rhel9-default');
    expect(await run(ctx, { paths: RSYSLOG, match: 'omfwd' })).toMatchObject({ values: { count: 0 } });
    expect(await run(ctx, { paths: RSYSLOG, match: 'omfwd', stripComments: false })).toMatchObject({ values: { count: 1 } });
  });

  it('reports anyFile false when nothing matches the globs', async () => {
    const obs = await run(await fixtureContext('debian12-default'), { paths: ['/etc/chrony/chrony.conf', '/etc/chrony.conf'], match: '^server' });
    expect(obs).toMatchObject({ values: { anyFile: false, files: [], count: 0 } });
  });

  it('reads chrony sources from a sources.d drop-in with numbered captures', async () => {
    const obs = await run(await fixtureContext('debian12-hardened'), {
      paths: ['/etc/chrony/chrony.conf', '/etc/chrony/sources.d/*.sources'],
      match: '^\\s*(server|pool)\\s+(\\S+)',
      ignoreCase: true,
    });
    expect(obs.status === 'observed' && (obs.values.matches as { captures: string[] }[]).map((m) => m.captures[1])).toEqual(['time-a-g.nist.gov', 'time-b-g.nist.gov']);
  });
});
