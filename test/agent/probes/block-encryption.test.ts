import { afterEach, describe, expect, it } from 'vitest';
import { blockEncryptionProbe } from '../../../agent/probes/block-encryption.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext, type RootSpec } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, params: Record<string, unknown> = {}) => blockEncryptionProbe.run(blockEncryptionProbe.params.parse(params), ctx);
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

const dm = (kname: string, dev: string, name: string, uuid: string, slaves: string[]): RootSpec => ({
  [`sys/block/${kname}/dev`]: `${dev}\n`,
  [`sys/block/${kname}/dm/name`]: `${name}\n`,
  [`sys/block/${kname}/dm/uuid`]: `${uuid}\n`,
  ...Object.fromEntries(slaves.map((s) => [`sys/block/${kname}/slaves/${s}/dev`, ''])),
});

describe('block-encryption probe', () => {
  it('on this machine: / is ext4 straight on /dev/vda, unencrypted', async () => {
    expect(await run(await fixtureContext('debian12-default'))).toMatchObject({
      status: 'observed',
      values: { filesystems: [{ mount: '/', device: '/dev/vda', fstype: 'ext4', encrypted: false }], unencrypted: ['/'], crypttab: [] },
    });
  });

  it('follows LVM on LUKS down to the crypt device (rhel9-hardened), swap included', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'));
    expect(obs.status).toBe('observed');
    if (obs.status !== 'observed') return;
    expect(obs.values.unencrypted).toEqual([]);
    expect((obs.values.filesystems as { mount: string }[]).map((f) => f.mount)).toEqual(['/', '/home', '/var', 'swap']);
    expect(obs.values.crypttab).toEqual(['luks-7d2e4c1a-8b9f-4e3d-a6c5-0f1e2d3c4b5a']);
  });

  it('counts a swap file as unencrypted when / is (ubuntu2204-default)', async () => {
    expect(await run(await fixtureContext('ubuntu2204-default'))).toMatchObject({ status: 'observed', values: { unencrypted: ['/', 'swap'] } });
  });

  it('does not accept a volume group that spans a plain partition', async () => {
    const dir = makeRoot({
      'proc/self/mountinfo': '60 1 253:1 / / rw,relatime shared:1 - xfs /dev/mapper/vg-root rw\n',
      ...dm('dm-0', '253:0', 'luks-a', 'CRYPT-LUKS2-aaaa-luks-a', ['sda2']),
      ...dm('dm-1', '253:1', 'vg-root', 'LVM-xyz', ['dm-0', 'sdb1']),
    });
    roots.push(dir);
    expect(await run(await rootContext(dir))).toMatchObject({ status: 'observed', values: { unencrypted: ['/'] } });
  });

  it('is not-applicable on an overlay root (container) and on an offline root', async () => {
    const overlay = makeRoot({ 'proc/self/mountinfo': '60 1 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n' });
    const offline = makeRoot({ 'etc/crypttab': '' });
    roots.push(overlay, offline);
    const o = await run(await rootContext(overlay));
    expect(o.status).toBe('not-applicable');
    if (o.status === 'not-applicable') expect(o.reason).toMatch(/overlay/);
    expect((await run(await rootContext(offline, 'offline'))).status).toBe('not-applicable');
  });
});
