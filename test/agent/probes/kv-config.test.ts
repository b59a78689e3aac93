import { describe, expect, it } from 'vitest';
import { kvConfigProbe } from '../../../agent/probes/kv-config.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';

const run = (ctx: ScanContext, params: unknown) => kvConfigProbe.run(kvConfigProbe.params.parse(params), ctx);

describe('kv-config probe', () => {
  it('reads postfix inet_interfaces with an equals separator', async () => {
    const obs = await run(await fixtureContext('ubuntu2204-hardened'), { paths: ['/etc/postfix/main.cf'], key: 'inet_interfaces', separator: 'equals' });
    expect(obs).toMatchObject({ status: 'observed', values: { set: true, value: 'loopback-only', file: '/etc/postfix/main.cf' } });
  });

  it('turns numbers into numbers and reports unset keys as null', async () => {
    const ctx = await fixtureContext('rhel9-hardened');
    expect(await run(ctx, { paths: ['/etc/chrony.conf'], key: 'cmdport' })).toMatchObject({ values: { set: true, value: 0 } });
    const def = await run(await fixtureContext('rhel9-default'), { paths: ['/etc/chrony.conf'], key: 'cmdport' });
    expect(def).toMatchObject({ values: { set: false, value: null, values: [], file: null, files: ['/etc/chrony.conf'] } });
  });

  it('lets the last assignment win by default and the first when asked', async () => {
    const ctx = await fixtureContext('rhel9-hardened');
    const last = await run(ctx, { paths: ['/etc/chrony.conf'], key: 'server' });
    expect(last).toMatchObject({ values: { value: 'tock.usno.navy.mil iburst maxpoll 16', values: ['tick.usno.navy.mil iburst maxpoll 16', 'tock.usno.navy.mil iburst maxpoll 16'] } });
    const first = await run(ctx, { paths: ['/etc/chrony.conf'], key: 'SERVER', first: true });
    expect(first).toMatchObject({ values: { value: 'tick.usno.navy.mil iburst maxpoll 16' } });
    expect(await run(ctx, { paths: ['/etc/chrony.conf'], key: 'SERVER', caseInsensitive: false })).toMatchObject({ values: { set: false } });
  });

  it('reads audisp-remote settings', async () => {
    const obs = await run(await fixtureContext('rhel9-hardened'), { paths: ['/etc/audit/plugins.d/au-remote.conf'], key: 'active', separator: 'equals' });
    expect(obs).toMatchObject({ values: { value: 'yes' } });
  });
});
