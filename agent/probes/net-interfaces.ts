/**
 * @module Probe `net-interfaces`: the network interfaces of the running kernel (/sys/class/net):
 * which are up, loopback, wireless, or in promiscuous mode. Runtime-only.
 */
import { z } from 'zod';
import { readInterfaces } from '../sources/net-interfaces.js';
import { defineProbe, observed, probeError, runtimeMissing } from './probe.js';

export const netInterfacesProbe = defineProbe({
  type: 'net-interfaces',
  summary: 'Network interfaces of the running kernel: up, loopback, wireless and promiscuous flags (/sys/class/net).',
  params: () => z.strictObject({}),
  fields: {
    interfaces: 'every interface: [{name, up (IFF_UP), operstate, loopback, promiscuous (IFF_PROMISC), wireless, flags}]',
    promiscuous: 'names of interfaces in promiscuous mode',
    wireless: 'names of wireless interfaces (a wireless or phy80211 entry in sysfs)',
    wirelessUp: 'names of wireless interfaces that are administratively up',
  },
  example: {},
  badExamples: [{ name: 'eth0' }, null],
  async run(_params, ctx) {
    const list = await readInterfaces(ctx);
    if (list === undefined) return runtimeMissing(ctx, '/sys/class/net');
    if (list.length === 0) return probeError('ERR_PROBE_PARSE', '/sys/class/net lists no readable interface', ['/sys/class/net']);
    return observed(
      {
        interfaces: list,
        promiscuous: list.filter((i) => i.promiscuous).map((i) => i.name),
        wireless: list.filter((i) => i.wireless).map((i) => i.name),
        wirelessUp: list.filter((i) => i.wireless && i.up).map((i) => i.name),
      },
      ['/sys/class/net'],
    );
  },
});
