/**
 * @module Network interfaces of the running kernel from /sys/class/net (flags, operstate, type,
 * wireless), read once per scan. Runtime-only: undefined without /sys/class/net.
 */
import type { ScanContext } from '../engine/context.js';

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
