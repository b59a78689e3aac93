/**
 * @module Device-mapper devices from sysfs (/sys/block/dm-N: name, uuid, dev, slaves), read once
 * per scan, and whether a block device sits on dm-crypt at any depth (LVM on LUKS included).
 */
import type { ScanContext } from '../engine/context.js';

export interface DmDevice {
  /** Kernel name, e.g. dm-0. */
  kname: string;
  /** Mapper name, e.g. luks-1234 or rhel-root. */
  name: string;
  uuid: string;
  /** "major:minor". */
  dev: string;
  slaves: string[];
}

export function readDmDevices(ctx: ScanContext): Promise<Map<string, DmDevice>> {
  return ctx.memo('source:dm-devices', async () => {
    const names = ((await ctx.host.readDir('/sys/block')) ?? []).filter((n) => /^dm-\d+$/.test(n));
    const devices = await Promise.all(
      names.map(async (kname): Promise<DmDevice> => {
        const base = `/sys/block/${kname}`;
        const [name, uuid, dev, slaves] = await Promise.all([
          ctx.host.readFile(`${base}/dm/name`),
          ctx.host.readFile(`${base}/dm/uuid`),
          ctx.host.readFile(`${base}/dev`),
          ctx.host.readDir(`${base}/slaves`),
        ]);
        return { kname, name: name?.trim() ?? '', uuid: uuid?.trim() ?? '', dev: dev?.trim() ?? '', slaves: slaves ?? [] };
      }),
    );
    return new Map(devices.map((d) => [d.kname, d]));
  });
}

/** The dm device behind a mount source (/dev/mapper/NAME, /dev/dm-N) or a major:minor; undefined when not device-mapper. */
export function findDm(devices: Map<string, DmDevice>, source: string, majMin?: string): DmDevice | undefined {
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(source)?.[1];
  if (mapper !== undefined) for (const d of devices.values()) if (d.name === mapper) return d;
  const kname = /^\/dev\/(dm-\d+)$/.exec(source)?.[1];
  if (kname !== undefined) return devices.get(kname);
  if (majMin !== undefined) for (const d of devices.values()) if (d.dev === majMin) return d;
  return undefined;
}

/**
 * Whether everything under `dm` is dm-crypt: the device itself is a CRYPT- target, or it has slaves
 * and every slave is (so an LVM volume group spanning a plain partition does not count).
 * Returns the crypt device names found, or undefined when some path down is unencrypted.
 */
export function cryptUnder(devices: Map<string, DmDevice>, dm: DmDevice, depth = 0): string[] | undefined {
  if (dm.uuid.startsWith('CRYPT-')) return [dm.name || dm.kname];
  if (depth > 8 || dm.slaves.length === 0) return undefined;
  const found: string[] = [];
  for (const s of dm.slaves) {
    const slave = devices.get(s);
    const hit = slave && cryptUnder(devices, slave, depth + 1);
    if (!hit) return undefined;
    found.push(...hit);
  }
  return found;
}
