import { describe, expect, it } from 'vitest';
import { processProbe } from '../../../agent/probes/process.js';
import { offlineRootHost } from '../../../agent/host/fs-host.js';
import { createScanContext, type ScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';

const run = (ctx: ScanContext, params: unknown) => processProbe.run(processProbe.params.parse(params), ctx);

describe('process probe', () => {
  it('finds an approved EDR agent by name', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'), { names: ['falcon-sensor', 'wdavdaemon', 'mfetpd'] });
    expect(obs).toMatchObject({ status: 'observed', values: { running: true, count: 1, pids: [905], names: ['falcon-sensor'] } });
    if (obs.status === 'observed') expect(obs.values.matches).toEqual([{ pid: 905, comm: 'falcon-sensor', cmdline: '/opt/CrowdStrike/falcon-sensor', uid: 0 }]);
  });

  it('reports none running on the development machine image', async () => {
    const obs = await run(await fixtureContext('debian12-default'), { names: ['falcon-sensor', 'wdavdaemon', 'sshd'] });
    expect(obs).toMatchObject({ status: 'observed', values: { running: false, count: 0, pids: [], matches: [] } });
  });

  it('matches argv[0] of a rewritten title such as "sshd: /usr/sbin/sshd -D [listener]"', async () => {
    const ctx = await fixtureContext('ubuntu2204-default');
    expect(await run(ctx, { names: ['sshd'], argsMatch: 'listener' })).toMatchObject({ values: { running: true, pids: [803] } });
    expect(await run(ctx, { names: ['sshd'], argsMatch: '^nomatch' })).toMatchObject({ values: { running: false } });
  });

  it('matches a name longer than the 15-character comm by its prefix', async () => {
    const obs = await run(await fixtureContext('ubuntu2204-default'), { names: ['systemd-timesyncd'] });
    expect(obs).toMatchObject({ values: { running: true, names: ['systemd-timesyn'] } });
  });

  it('is not applicable on an offline root without /proc', async () => {
    const host = offlineRootHost(fixtureRoot('rhel9-default').replace('rhel9-default', 'rhel9-default/etc'));
    const obs = await run(createScanContext(host, await readHostFacts(host)), { names: ['sshd'] });
    expect(obs.status).toBe('not-applicable');
  });
});
