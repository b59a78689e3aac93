/**
 * @module Probe `net-interfaces`: the network interfaces of the running kernel (/sys/class/net):
 * which are up, loopback, wireless, or in promiscuous mode. Runtime-only.
 */
import { z } from 'zod';
import type { ScanContext } from '../engine/context.js';
import { defineProbe, observed, probeError, runtimeMissing } from './probe.js';

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const IFF_PROMISC = 0x100;
const ARPHRD_LOOPBACK = 772;

export interface NetInterface {
  name: string;
  up: boolean;
  operstate: string | null;
  loopback: boolean;
  promiscuous: boolean;
  wireless: boolean;
  flags: string;
}

async function readInterface(ctx: ScanContext, name: string): Promise<NetInterface | undefined> {
  const base = `/sys/class/net/${name}`;
  const [flagsText, operstate, type, wirelessDir, phy] = await Promise.all([
    ctx.host.readFile(`${base}/flags`),
    ctx.host.readFile(`${base}/operstate`),
    ctx.host.readFile(`${base}/type`),
    ctx.host.lstat(`${base}/wireless`),
    ctx.host.lstat(`${base}/phy80211`),
  ]);
  if (flagsText === undefined) return undefined;
  const flags = Number.parseInt(flagsText.trim(), 16);
  if (!Number.isFinite(flags)) return undefined;
  return {
    name,
    up: (flags & IFF_UP) !== 0,
    operstate: operstate?.trim() || null,
    loopback: (flags & IFF_LOOPBACK) !== 0 || Number(type?.trim()) === ARPHRD_LOOPBACK,
    promiscuous: (flags & IFF_PROMISC) !== 0,
    wireless: wirelessDir !== undefined || phy !== undefined,
    flags: `0x${flags.toString(16)}`,
  };
}

/** Every interface, read once per scan; undefined without /sys/class/net. */
export function readInterfaces(ctx: ScanContext): Promise<NetInterface[] | undefined> {
  return ctx.memo('source:net-interfaces', async () => {
    const names = await ctx.host.readDir('/sys/class/net');
    if (names === undefined) return undefined;
    const list = await Promise.all(names.filter((n) => !n.startsWith('.')).map((n) => readInterface(ctx, n)));
    return list.filter((i): i is NetInterface => i !== undefined);
  });
}

export const netInterfacesProbe = defineProbe({
  type: 'net-interfaces',
  summary: 'Network interfaces of the running kernel: up, loopback, wireless and promiscuous flags (/sys/class/net).',
  params: z.strictObject({}),
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
