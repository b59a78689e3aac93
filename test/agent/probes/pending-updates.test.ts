import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pendingUpdatesProbe } from '../../../agent/probes/pending-updates.js';
import { compareRelease, parseAptSimulate, parseDnfCheckUpdate, parseDnfSecurity, rpmName } from '../../../agent/sources/pending-updates.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext, type RootSpec } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext) => pendingUpdatesProbe.run(pendingUpdatesProbe.params.parse({}), ctx);
const exec = (stdout: string, exitCode = 0, stderr = '') => JSON.stringify({ exitCode, stdout, stderr });
async function withRoot<T>(spec: RootSpec, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = makeRoot(spec);
  try {
    return await fn(dir);
  } finally {
    removeRoot(dir);
  }
}

describe('apt simulated upgrade parsing', () => {
  it('counts the real capture from this machine: 124 upgrades, 69 from the security pocket', () => {
    const capture = JSON.parse(readFileSync(`${fixtureRoot('debian12-default')}/.rampart-exec/apt-upgrade-simulate.json`, 'utf8')) as { stdout: string };
    const ups = parseAptSimulate(capture.stdout);
    expect(ups).toHaveLength(124);
    expect(new Set(ups.filter((u) => u.security).map((u) => u.name)).size).toBe(69);
    expect(ups.find((u) => u.name === 'libgcrypt20')).toEqual({
      name: 'libgcrypt20',
      from: '1.10.1-3',
      to: '1.10.1-3+deb12u1',
      origins: ['Debian:12.15/oldstable', 'Debian-Security:12/oldstable-security'],
      security: true,
    });
    expect(ups.find((u) => u.name === 'bash')?.security).toBe(false);
  });

  it('recognises Ubuntu security pockets and ignores Conf lines', () => {
    const ups = parseAptSimulate(
      'Inst libssl3 [3.0.2-0ubuntu1.12] (3.0.2-0ubuntu1.18 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])\n' +
        'Inst tzdata [2024a-0ubuntu0.22.04] (2025b-0ubuntu0.22.04 Ubuntu:22.04/jammy-updates [all]) []\n' +
        'Inst newpkg (1.0 Ubuntu:22.04/jammy-security [amd64])\n' +
        'Conf libssl3 (3.0.2-0ubuntu1.18 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])\n',
    );
    expect(ups.map((u) => [u.name, u.from, u.security])).toEqual([
      ['libssl3', '3.0.2-0ubuntu1.12', true],
      ['tzdata', '2024a-0ubuntu0.22.04', false],
      ['newpkg', null, true],
    ]);
  });
});

describe('dnf output parsing', () => {
  it('reads security advisories and available updates', () => {
    expect(parseDnfSecurity('RHSA-2026:10412 Important/Sec.  glibc-2.34-100.el9_4.4.x86_64\nRHSA-2026:10412 Important/Sec.  glibc-common-2.34-100.el9_4.4.x86_64\nRHBA-2026:1 bugfix tzdata-2026a-1.el9.noarch\nRHSA-2026:9 Low/Sec. glibc-2.34-100.el9_4.4.i686\n')).toEqual(['glibc', 'glibc-common']);
    expect(parseDnfCheckUpdate('\nglibc.x86_64    2.34-100.el9_4.4   baseos\nkernel-core.x86_64  5.14.0-427.42.1.el9_4  baseos\nObsoleting Packages\ngrub2-tools.x86_64  1:2.06-80.el9  baseos\n')).toEqual(['glibc', 'kernel-core']);
    expect(rpmName('openssl-libs-1:3.0.7-27.el9.x86_64')).toBe('openssl-libs');
  });

  it('orders kernel releases the way rpm does', () => {
    expect(compareRelease('5.14.0-427.42.1.el9_4.x86_64', '5.14.0-427.13.1.el9_4.x86_64')).toBeGreaterThan(0);
    expect(compareRelease('5.14.0-70.13.1.el9_0.x86_64', '5.14.0-427.13.1.el9_4.x86_64')).toBeLessThan(0);
    expect(compareRelease('5.14.0-427.13.1.el9_4.x86_64', '5.14.0-427.13.1.el9_4.x86_64')).toBe(0);
  });
});

describe('pending-updates probe', () => {
  it('reports counts, reboot and metadata age on each captured host', async () => {
    const summary = async (h: string) => {
      const obs = await run(await fixtureContext(h));
      if (obs.status !== 'observed') throw new Error(JSON.stringify(obs));
      const v = obs.values;
      return [v.manager, v.pending, v.securityPending, v.rebootRequired, v.listsAgeHours];
    };
    // Scan clock 2026-11-26T12:00Z; newest index dates: debian security 2026-11-25T02:22:30Z,
    // ubuntu updates 2026-11-25T14:35:12Z, rhel baseos repomd 2026-11-25T07:23:32Z.
    expect(await summary('debian12-default')).toEqual(['apt', 124, 69, false, 33.6]);
    expect(await summary('debian12-hardened')).toEqual(['apt', 0, 0, false, 33.6]);
    expect(await summary('ubuntu2204-default')).toEqual(['apt', 7, 5, true, 21.4]);
    expect(await summary('ubuntu2204-hardened')).toEqual(['apt', 0, 0, false, 21.4]);
    expect(await summary('rhel9-default')).toEqual(['dnf', 9, 7, true, 28.6]);
    expect(await summary('rhel9-hardened')).toEqual(['dnf', 0, 0, false, 28.6]);
  });

  it('names the packages behind a pending reboot', async () => {
    expect(await run(await fixtureContext('ubuntu2204-default'))).toMatchObject({ values: { rebootPackages: ['linux-base', 'linux-image-5.15.0-126-generic'] } });
    expect(await run(await fixtureContext('rhel9-default'))).toMatchObject({
      values: { runningKernel: '5.14.0-427.13.1.el9_4.x86_64', newestKernel: '5.14.0-427.42.1.el9_4.x86_64', rebootPackages: ['kernel-5.14.0-427.42.1.el9_4.x86_64'] },
    });
  });

  it('cannot tell about a reboot when the running kernel is not installed here (a container)', async () => {
    await withRoot(
      {
        'etc/os-release': 'ID=rhel\nVERSION_ID=9.4\n',
        'proc/sys/kernel/osrelease': '6.18.44-fc-v657\n',
        'lib/modules/5.14.0-427.13.1.el9_4.x86_64/modules.dep': '',
        '.rampart-exec/dnf-security-updates.json': exec(''),
      },
      async (dir) => expect(await run(await rootContext(dir))).toMatchObject({ status: 'observed', values: { rebootRequired: null, listsAgeHours: null } }),
    );
  });

  it('is not applicable offline or without a package manager, and an error when apt fails', async () => {
    expect((await run(await rootContext(fixtureRoot('debian12-default'), 'offline'))).status).toBe('not-applicable');
    await withRoot({ 'etc/os-release': 'ID=alpine\n' }, async (dir) => expect((await run(await rootContext(dir))).status).toBe('not-applicable'));
    await withRoot(
      { 'etc/os-release': 'ID=debian\n', '.rampart-exec/apt-upgrade-simulate.json': exec('', 100, 'E: Could not open lock file\n') },
      async (dir) => expect(await run(await rootContext(dir))).toMatchObject({ status: 'error', code: 'ERR_PROBE_FAILED' }),
    );
  });
});
