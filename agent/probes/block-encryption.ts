/**
 * @module Probe `block-encryption`: whether the data filesystems (/, /home, /var, ...) and active swap
 * sit on dm-crypt (LUKS), read from the mount table and device-mapper sysfs. Runtime-only.
 */
import { z } from 'zod';
import { cryptUnder, findDm, readDmDevices, type DmDevice } from '../sources/device-mapper.js';
import { readMounts, readSwaps, visibleMount } from '../sources/mounts.js';
import { defineProbe, notApplicable, observed, runtimeMissing } from './probe.js';

/** Filesystems with no local block device behind them: nothing to encrypt at this layer. */
const NON_BLOCK_FS = new Set(['tmpfs', 'ramfs', 'devtmpfs', 'proc', 'sysfs', 'nfs', 'nfs4', 'cifs', 'smb3', 'fuse.sshfs', '9p', 'virtiofs']);

interface FsEncryption {
  mount: string;
  device: string;
  fstype: string;
  /** null when the filesystem has no local block device (tmpfs, NFS). */
  encrypted: boolean | null;
  cryptDevices: string[];
}

function judge(devices: Map<string, DmDevice>, source: string, majMin?: string): { encrypted: boolean; cryptDevices: string[] } {
  const dm = findDm(devices, source, majMin);
  const crypt = dm ? cryptUnder(devices, dm) : undefined;
  return { encrypted: crypt !== undefined, cryptDevices: crypt ?? [] };
}

async function crypttabNames(read: (p: string) => Promise<string | undefined>): Promise<string[]> {
  const text = await read('/etc/crypttab');
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/)[0]!);
}

export const blockEncryptionProbe = defineProbe({
  type: 'block-encryption',
  summary: 'Whether mounted data filesystems and swap sit on dm-crypt/LUKS (mount table + /sys/block/dm-*).',
  params: () => z.strictObject({
    /** Mount points to judge when mounted (a directory that is not a separate mount is covered by /). */
    mounts: z.array(z.string().startsWith('/', 'an absolute mount point')).min(1).default(['/', '/home', '/var']),
    swap: z.boolean().default(true),
  }),
  fields: {
    filesystems: 'judged filesystems: [{mount, device, fstype, encrypted (null for tmpfs/network), cryptDevices}]; swap appears as mount "swap"',
    unencrypted: 'mount points (or "swap") whose device is not on dm-crypt',
    crypttab: 'mapping names listed in /etc/crypttab',
  },
  example: {},
  badExamples: [{ mounts: [] }, { mounts: ['home'] }, { swap: 'yes' }],
  async run(params, ctx) {
    const table = await readMounts(ctx);
    if (table === undefined) return runtimeMissing(ctx, 'the mount table (/proc/self/mountinfo)');
    const root = visibleMount(table.mounts, '/');
    if (root === undefined) return runtimeMissing(ctx, 'the root filesystem in the mount table');
    if (root.fstype === 'overlay' || root.fstype === 'aufs') {
      return notApplicable(`the root filesystem is ${root.fstype} (container image layers); encryption at rest is a property of the host that runs this container`, [table.file]);
    }
    const devices = await readDmDevices(ctx);
    const filesystems: FsEncryption[] = [];
    const rootJudged = judge(devices, root.source, root.majMin);
    for (const mount of params.mounts) {
      const m = visibleMount(table.mounts, mount);
      if (m === undefined) continue;
      if (NON_BLOCK_FS.has(m.fstype)) {
        filesystems.push({ mount, device: m.source, fstype: m.fstype, encrypted: null, cryptDevices: [] });
        continue;
      }
      filesystems.push({ mount, device: m.source, fstype: m.fstype, ...judge(devices, m.source, m.majMin) });
    }
    const sources = [table.file, '/sys/block'];
    if (params.swap) {
      const swaps = await readSwaps(ctx);
      if (swaps !== undefined) sources.push('/proc/swaps');
      for (const s of swaps ?? []) {
        // A swap file lives on a filesystem; treat it as encrypted when / is (the usual /swap.img case).
        const j = s.type === 'file' ? rootJudged : judge(devices, s.file);
        filesystems.push({ mount: 'swap', device: s.file, fstype: `swap (${s.type})`, ...j });
      }
    }
    return observed(
      {
        filesystems,
        unencrypted: filesystems.filter((f) => f.encrypted === false).map((f) => f.mount),
        crypttab: await crypttabNames((p) => ctx.host.readFile(p)),
      },
      sources,
    );
  },
});
