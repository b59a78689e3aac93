import { afterEach, describe, expect, it } from 'vitest';
import { netInterfacesProbe } from '../../../agent/probes/net-interfaces.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext) => netInterfacesProbe.run({}, ctx);
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('net-interfaces probe', () => {
  it('reads this machine: loopback, eth0 up, ifb devices down, nothing promiscuous or wireless', async () => {
    const obs = await run(await fixtureContext('debian12-default'));
    expect(obs.status).toBe('observed');
    if (obs.status !== 'observed') return;
    expect(obs.values).toMatchObject({ promiscuous: [], wireless: [], wirelessUp: [] });
    const byName = Object.fromEntries((obs.values.interfaces as { name: string }[]).map((i) => [i.name, i]));
    expect(byName.lo).toMatchObject({ loopback: true, up: true, promiscuous: false });
    expect(byName.eth0).toMatchObject({ loopback: false, up: true, operstate: 'up' });
    expect(byName.ifb0).toMatchObject({ up: false, operstate: 'down' });
  });

  it('finds a wireless interface that is up (rhel9-default) and one that is down (ubuntu2204-hardened)', async () => {
    expect(await run(await fixtureContext('rhel9-default'))).toMatchObject({ status: 'observed', values: { wireless: ['wlp0s20f3'], wirelessUp: ['wlp0s20f3'] } });
    expect(await run(await fixtureContext('ubuntu2204-hardened'))).toMatchObject({ status: 'observed', values: { wireless: ['wlp2s0'], wirelessUp: [] } });
  });

  it('reports the IFF_PROMISC flag', async () => {
    const dir = makeRoot({
      'sys/class/net/lo/flags': '0x9\n',
      'sys/class/net/eth0/flags': '0x1103\n',
      'sys/class/net/eth0/operstate': 'up\n',
      'sys/class/net/wlan0/flags': '0x1003\n',
      'sys/class/net/wlan0/wireless/.keep': '',
    });
    roots.push(dir);
    expect(await run(await rootContext(dir))).toMatchObject({ status: 'observed', values: { promiscuous: ['eth0'], wireless: ['wlan0'], wirelessUp: ['wlan0'] } });
  });

  it('is not-applicable on an offline root without /sys', async () => {
    const dir = makeRoot({ 'etc/hostname': 'x\n' });
    roots.push(dir);
    expect((await run(await rootContext(dir, 'offline'))).status).toBe('not-applicable');
  });
});
