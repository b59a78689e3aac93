/**
 * @module Listening sockets, read once per scan from /proc/net/{tcp,tcp6,udp,udp6} and joined
 * to their owning processes through /proc/PID/fd links. Shared by the socket, firewall-coverage
 * and AI-workload probes; runtime-only (an offline root has no sockets). docs/rules.md documents
 * the Listener shape.
 */
import { endianness } from 'node:os';
import type { ScanContext } from '../engine/context.js';
import { formatAddress, isLoopback, isWildcard } from '../../shared/ip-address.js';
import { readProcesses } from './processes.js';
import { byCodeUnit } from '../../shared/text-order.js';

export type ListenerProto = 'tcp' | 'tcp6' | 'udp' | 'udp6';
export const LISTENER_PROTOS: readonly ListenerProto[] = ['tcp', 'tcp6', 'udp', 'udp6'];

/** One socket that accepts traffic: a TCP socket in LISTEN, or an unconnected UDP socket bound to a port. */
export interface Listener {
  /** Which /proc/net table it came from: tcp6/udp6 are IPv6 sockets (they may also accept IPv4 when bound to ::). */
  proto: ListenerProto;
  /** Local address as text: "127.0.0.1", "0.0.0.0", "::", "::1", "::ffff:10.0.0.5", "fe80::1". */
  address: string;
  port: number;
  /** Socket inode: the key that joins a socket to the processes holding it. */
  inode: number;
  /** Bound to 127.0.0.0/8, ::1 or ::ffff:127.x: reachable only from this host. */
  loopback: boolean;
  /** Bound to 0.0.0.0 or ::: reachable on every address of the host. */
  wildcard: boolean;
  /** Socket owner uid from /proc/net. */
  uid: number;
  /** Lowest pid holding the socket (pre-fork servers share one socket); absent when not visible (no root, other pid namespace). */
  pid?: number;
  /** That process's short name (/proc/PID/comm). */
  process?: string;
  /** That process's argv. */
  cmdline?: string[];
}

/** One parsed row of a /proc/net table. */
export interface ProcNetRow {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Kernel socket state as hex, e.g. "0A" (TCP LISTEN) or "07" (TCP CLOSE, UDP unconnected). */
  state: string;
  uid: number;
  inode: number;
}

export const TCP_LISTEN = '0A';
export const UDP_UNCONNECTED = '07';
/** `  sl: local_address rem_address st ...`: the fourth column is the socket state. */
const STATE_COLUMN = /^\s*\S+\s+\S+\s+\S+\s+([0-9A-Fa-f]{2})\s/;
const TCP_LISTENER_STATES: ReadonlySet<string> = new Set([TCP_LISTEN]);
const UDP_LISTENER_STATES: ReadonlySet<string> = new Set([UDP_UNCONNECTED]);

/**
 * Decode a /proc/net address: IPv4 is one 32-bit word and IPv6 four 32-bit words, each printed
 * as hex in host byte order (little-endian on x86 and arm64), e.g. 0100007F = 127.0.0.1 and
 * 00000000000000000000000001000000 = ::1.
 */
export function decodeProcNetAddress(hex: string, littleEndian = true): string {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) {
    throw new Error(`not a /proc/net address: "${hex}"`);
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    for (let i = 0; i < 4; i++) {
      const byte = parseInt(hex.slice(word * 8 + i * 2, word * 8 + i * 2 + 2), 16);
      bytes[word * 4 + (littleEndian ? 3 - i : i)] = byte;
    }
  }
  return formatAddress(bytes);
}

/**
 * Parse one /proc/net/{tcp,tcp6,udp,udp6} table (the header line is skipped; malformed rows too).
 * `states` keeps only rows in those states (hex, e.g. "0A"): a busy host has thousands of
 * established connections, and decoding their addresses is most of the work when only listeners matter.
 */
export function parseProcNet(text: string, littleEndian = true, states?: ReadonlySet<string>): ProcNetRow[] {
  const rows: ProcNetRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    // Cheap look at the state column first: splitting every row is the cost on a busy host.
    if (states && !states.has((STATE_COLUMN.exec(line)?.[1] ?? '').toUpperCase())) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local, remote, state, , , , uid, , inode] = f.slice(1);
    const [la, lp] = (local ?? '').split(':');
    const [ra, rp] = (remote ?? '').split(':');
    if (!la || !lp || !ra || !rp || !state) continue;
    try {
      rows.push({
        localAddress: decodeProcNetAddress(la, littleEndian),
        localPort: parseInt(lp, 16),
        remoteAddress: decodeProcNetAddress(ra, littleEndian),
        remotePort: parseInt(rp, 16),
        state: state.toUpperCase(),
        uid: Number(uid),
        inode: Number(inode),
      });
    } catch {
      // A row we cannot decode is skipped rather than failing the whole table.
    }
  }
  return rows;
}

/** Rows of one table that are listeners: TCP LISTEN, or UDP unconnected and bound to a port. */
export function listenersFrom(proto: ListenerProto, rows: ProcNetRow[]): Listener[] {
  const tcp = proto.startsWith('tcp');
  return rows
    .filter((r) => (tcp ? r.state === TCP_LISTEN : r.state === UDP_UNCONNECTED && r.localPort !== 0 && r.remotePort === 0))
    .map((r) => ({
      proto,
      address: r.localAddress,
      port: r.localPort,
      inode: r.inode,
      loopback: isLoopback(r.localAddress),
      wildcard: isWildcard(r.localAddress),
      uid: r.uid,
    }));
}

/** Source paths of the socket tables, for evidence. */
export const PROC_NET_PATHS = LISTENER_PROTOS.map((p) => `/proc/net/${p}`);

/**
 * Every listener on the host with its owner, read once per scan. Undefined when /proc/net/tcp
 * is not readable here (an offline root); a missing tcp6/udp6 (IPv6 disabled) is just empty.
 */
export function readListeners(ctx: ScanContext): Promise<Listener[] | undefined> {
  return ctx.memo('source:listeners', async () => {
    const texts = await Promise.all(PROC_NET_PATHS.map((p) => ctx.host.readFile(p)));
    if (texts[0] === undefined) return undefined;
    // /proc/net prints addresses in host byte order; captures and offline roots come from little-endian machines.
    const le = ctx.host.mode !== 'live' || endianness() === 'LE';
    const listeners = LISTENER_PROTOS.flatMap((proto, i) =>
      texts[i] === undefined ? [] : listenersFrom(proto, parseProcNet(texts[i]!, le, proto.startsWith('tcp') ? TCP_LISTENER_STATES : UDP_LISTENER_STATES)),
    );
    const wanted = new Set(listeners.map((l) => l.inode).filter((n) => n !== 0));
    const owners = wanted.size === 0 ? new Map<number, number>() : await socketOwners(ctx, wanted);
    const procs = new Map((await readProcesses(ctx))?.map((p) => [p.pid, p]) ?? []);
    for (const l of listeners) {
      const pid = owners.get(l.inode);
      if (pid === undefined) continue;
      l.pid = pid;
      const p = procs.get(pid);
      if (p) {
        l.process = p.comm;
        l.cmdline = p.cmdline;
      }
    }
    return listeners.sort((a, b) => a.port - b.port || byCodeUnit(a.proto, b.proto) || byCodeUnit(a.address, b.address));
  });
}

/** Processes and links looked at concurrently: a busy host has tens of thousands of fds, and one promise per fd at once costs ~100 MB. */
const PID_BATCH = 16;
const FD_BATCH = 256;

/**
 * inode → lowest pid holding it, from /proc/PID/fd/N → "socket:[inode]" links. Unreadable fds are skipped.
 * PIDs are visited in ascending batches and the walk stops once every wanted inode has an owner (later
 * batches only hold higher PIDs, so the lowest owner is already known).
 */
async function socketOwners(ctx: ScanContext, wanted: Set<number>): Promise<Map<number, number>> {
  const owners = new Map<number, number>();
  const pids = ((await readProcesses(ctx)) ?? []).map((p) => p.pid).sort((a, b) => a - b);
  const visit = async (pid: number): Promise<void> => {
    const fds = await ctx.host.readDir(`/proc/${pid}/fd`).catch(() => undefined);
    if (!fds) return;
    for (let i = 0; i < fds.length; i += FD_BATCH) {
      await Promise.all(
        fds.slice(i, i + FD_BATCH).map(async (fd) => {
          const link = await ctx.host.readLink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
          const m = link ? /^socket:\[(\d+)\]$/.exec(link) : null;
          if (!m) return;
          const inode = Number(m[1]);
          if (!wanted.has(inode)) return;
          const prev = owners.get(inode);
          if (prev === undefined || pid < prev) owners.set(inode, pid);
        }),
      );
    }
  };
  for (let i = 0; i < pids.length && owners.size < wanted.size; i += PID_BATCH) {
    await Promise.all(pids.slice(i, i + PID_BATCH).map(visit));
  }
  return owners;
}
