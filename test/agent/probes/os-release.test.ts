import { describe, expect, it } from 'vitest';
import { findEndOfSupport, osReleaseProbe } from '../../../agent/probes/os-release.js';
import { createScanContext, type ScanContext } from '../../../agent/engine/context.js';
import { FixtureHost } from '../../../agent/host/fs-host.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: unknown) => osReleaseProbe.run(osReleaseProbe.params.parse(params), ctx);
const TABLE = ['debian 12 2028-06-30', 'ubuntu 22.04 2027-04-30', { id: 'rhel', version: '9', date: '2032-05-31' }, 'rhel 9.2 2025-05-31'];

describe('end-of-support lookup', () => {
  const table = osReleaseProbe.params.parse({ endOfSupport: TABLE }).endOfSupport;
  it('matches the exact VERSION_ID first, then the major version', () => {
    expect(findEndOfSupport(table, 'rhel', ['fedora'], '9.2')?.date).toBe('2025-05-31');
    expect(findEndOfSupport(table, 'rhel', ['fedora'], '9.4')?.date).toBe('2032-05-31');
    expect(findEndOfSupport(table, 'ubuntu', ['debian'], '22.04')?.date).toBe('2027-04-30');
  });

  it('falls back to an ID_LIKE family only when the table has no row for the ID itself', () => {
    expect(findEndOfSupport(table, 'rocky', ['rhel', 'centos', 'fedora'], '9.3')?.date).toBe('2032-05-31');
    // Ubuntu 20.04 is not in the table and must not borrow Debian's dates.
    expect(findEndOfSupport(table, 'ubuntu', ['debian'], '20.04')).toBeUndefined();
  });
});

describe('os-release probe', () => {
  it('reports the release and whether it is supported on the scan date', async () => {
    expect(await run(await fixtureContext('rhel9-default'), { endOfSupport: TABLE })).toEqual({
      status: 'observed',
      values: { id: 'rhel', versionId: '9.4', idLike: ['fedora'], prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)', endOfSupportDate: '2032-05-31', supported: true },
      sources: ['/etc/os-release'],
    });
  });

  it('is unsupported the day after the end date and unknown (null) for a release missing from the table', async () => {
    const host = new FixtureHost(fixtureRoot('debian12-default'));
    const on = createScanContext(host, await readHostFacts(host), new Date('2028-06-30T23:00:00Z'));
    const after = createScanContext(host, await readHostFacts(host), new Date('2028-07-01T00:00:00Z'));
    expect(await run(on, { endOfSupport: TABLE })).toMatchObject({ values: { supported: true } });
    expect(await run(after, { endOfSupport: TABLE })).toMatchObject({ values: { supported: false, endOfSupportDate: '2028-06-30' } });
    expect(await run(on, { endOfSupport: [] })).toMatchObject({ values: { supported: null, endOfSupportDate: null } });
  });

  it('is not applicable without an os-release file, and refuses malformed table rows', async () => {
    const dir = makeRoot({ 'etc/hostname': 'x\n' });
    try {
      expect((await run(await rootContext(dir), {})).status).toBe('not-applicable');
    } finally {
      removeRoot(dir);
    }
    for (const bad of osReleaseProbe.badExamples) expect(osReleaseProbe.params.safeParse(bad).success).toBe(false);
  });
});
