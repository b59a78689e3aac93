import { afterEach, describe, expect, it } from 'vitest';
import { mountOptionsProbe } from '../../../agent/probes/mount-options.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: Record<string, unknown>) => mountOptionsProbe.run(mountOptionsProbe.params.parse(params), ctx);
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('mount-options probe', () => {
  it('reads /tmp on rhel9-hardened as mounted noexec, and its fstab entry', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'), { mount: '/tmp' });
    expect(obs).toMatchObject({ status: 'observed', values: { mounted: true, fstype: 'xfs', device: '/dev/mapper/rhel-tmp', inFstab: true } });
    if (obs.status !== 'observed') return;
    expect(obs.values.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(obs.values.fstabOptions).toEqual(['defaults', 'nosuid', 'nodev', 'noexec']);
  });

  it('reports a directory that is not a separate mount on this machine', async () => {
    expect(await run(await fixtureContext('debian12-default'), { mount: '/tmp/' })).toMatchObject({
      status: 'observed',
      values: { mounted: false, options: null, inFstab: false, fstabOptions: null },
    });
  });

  it('decodes escaped mount points and answers offline from fstab alone', async () => {
    const dir = makeRoot({
      'proc/self/mountinfo': '70 1 0:40 / /mnt/my\\040disk rw,nosuid - tmpfs tmpfs rw\n',
      'etc/fstab': '# comment\ntmpfs /mnt/my\\040disk tmpfs nosuid 0 0\n',
    });
    roots.push(dir);
    expect(await run(await rootContext(dir), { mount: '/mnt/my disk' })).toMatchObject({ status: 'observed', values: { mounted: true, options: ['rw', 'nosuid'], fstabOptions: ['nosuid'] } });
    const offline = makeRoot({ 'etc/fstab': 'tmpfs /tmp tmpfs nodev 0 0\n' });
    roots.push(offline);
    const ctx = await rootContext(offline, 'offline');
    expect((await run(ctx, { mount: '/tmp', scope: 'runtime' })).status).toBe('not-applicable');
    expect(await run(ctx, { mount: '/tmp' })).toMatchObject({ status: 'observed', values: { mounted: null, runtimeAvailable: false, fstabOptions: ['nodev'] } });
  });
});
