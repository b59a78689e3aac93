/**
 * @module Probe `listening-sockets`: which sockets accept traffic, selected by port, protocol and
 * owning process, with loopback and explicitly allowed management addresses set apart.
 */
import { z } from 'zod';
import { inNetwork, isNetwork } from '../../shared/ip-address.js';
import { LISTENER_PROTOS, PROC_NET_PATHS, readListeners, type Listener } from '../sources/listeners.js';
import { defineProbe, observed, runtimeMissing } from './probe.js';

const Port = z.number().int().min(1).max(65535);

export const listeningSocketsProbe = defineProbe({
  type: 'listening-sockets',
  summary:
    'Listening TCP sockets and bound unconnected UDP sockets from /proc/net, with owning process, filtered by port, protocol and process name.',
  params: () => z
    .strictObject({
      /** Select listeners on these ports (with portRange: either). Neither: every port. */
      ports: z.array(Port).optional(),
      /** Select listeners on ports from..to inclusive. */
      portRange: z.tuple([Port, Port]).refine(([a, b]) => a <= b, 'portRange is [from, to] with from <= to').optional(),
      /** Only these tables (default all four). */
      protos: z.array(z.enum(LISTENER_PROTOS as [string, ...string[]])).min(1).optional(),
      /** Only sockets owned by a process with one of these short names (/proc/PID/comm). */
      process: z.array(z.string().min(1)).min(1).optional(),
      /** Count loopback-only sockets too (default: only sockets reachable from other hosts). */
      includeLoopback: z.boolean().default(false),
      /** Sockets bound to an address inside one of these networks (CIDR or address) are allowed, not counted. Wildcard binds never are. */
      allowedNetworks: z.array(z.string().refine(isNetwork, 'an IP address or CIDR network')).optional(),
      /** Sockets on these ports are allowed, not counted (an agency's approved exceptions). */
      allowedPorts: z.array(Port).optional(),
    }),
  fields: {
    listeners: 'selected listeners (Listener objects: proto, address, port, inode, loopback, wildcard, uid, pid?, process?, cmdline?), allowed ones left out',
    count: 'number of selected listeners',
    ports: 'distinct ports of the selected listeners, ascending',
    nonLoopback: 'selected listeners not bound to loopback',
    allowed: 'listeners that matched the selection but are excused by allowedNetworks or allowedPorts',
  },
  example: { ports: [22], protos: ['tcp', 'tcp6'], allowedNetworks: ['10.20.0.0/16'] },
  badExamples: [
    { ports: [0] },
    { ports: [70000] },
    { portRange: [100, 10] },
    { protos: ['sctp'] },
    { allowedNetworks: ['not-a-network'] },
    { includeLoopback: 'yes' },
    { extra: true },
  ],
  async run(params, ctx) {
    const all = await readListeners(ctx);
    if (all === undefined) return runtimeMissing(ctx, '/proc/net/tcp');
    const portSelected = (p: number) =>
      (params.ports === undefined && params.portRange === undefined) ||
      (params.ports?.includes(p) ?? false) ||
      (params.portRange !== undefined && p >= params.portRange[0] && p <= params.portRange[1]);
    const selected = all.filter(
      (l) =>
        portSelected(l.port) &&
        (params.protos === undefined || params.protos.includes(l.proto)) &&
        (params.process === undefined || (l.process !== undefined && params.process.includes(l.process))) &&
        (params.includeLoopback || !l.loopback),
    );
    const isAllowed = (l: Listener) =>
      !l.loopback &&
      ((params.allowedPorts?.includes(l.port) ?? false) ||
        (!l.wildcard && (params.allowedNetworks ?? []).some((n) => inNetwork(l.address, n))));
    const listeners = selected.filter((l) => !isAllowed(l));
    return observed(
      {
        listeners,
        count: listeners.length,
        ports: [...new Set(listeners.map((l) => l.port))].sort((a, b) => a - b),
        nonLoopback: listeners.filter((l) => !l.loopback),
        allowed: selected.filter(isAllowed),
      },
      PROC_NET_PATHS,
    );
  },
});
