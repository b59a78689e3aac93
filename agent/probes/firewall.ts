/**
 * @module Probe `firewall`: which firewall managers are active, the default inbound and forward
 * policy per IP family, the rules that admit inbound connections, and which given ports any
 * source on the network may reach.
 */
import { z } from 'zod';
import { readFirewall, type FirewallState } from '../sources/firewall.js';
import type { AllowRule } from '../sources/firewall-model.js';
import { isAppError } from '../../shared/errors.js';
import { defineProbe, observed, probeError } from './probe.js';

const Port = z.number().int().min(1).max(65535);
const MAX_QUERY_PORTS = 4096;

export const firewallProbe = defineProbe({
  type: 'firewall',
  summary:
    'Active firewall managers (firewalld, ufw, nftables, iptables), default inbound/forward policy per IP family, inbound allow rules, and which given ports are open to any source.',
  params: () => z
    .strictObject({
      /** Ports to test for `portsOpenToAny` (with portRange: both). */
      ports: z.array(Port).optional(),
      portRange: z.tuple([Port, Port]).refine(([a, b]) => a <= b, 'portRange is [from, to] with from <= to').optional(),
      /** Transport protocols to test the ports for (default both). */
      protos: z.array(z.enum(['tcp', 'udp'])).min(1).default(['tcp', 'udp']),
    })
    .refine(
      (p) => (p.ports?.length ?? 0) + (p.portRange ? p.portRange[1] - p.portRange[0] + 1 : 0) <= MAX_QUERY_PORTS,
      `at most ${MAX_QUERY_PORTS} ports per check`,
    ),
  fields: {
    basis: '"runtime" (read from the running firewall) or "config" (offline root: judged from boot configuration)',
    installed: 'managers whose tools or configuration are present: firewalld, ufw, nftables, iptables',
    managers: 'managers that are active and filtering; loaded kernel modules alone never count',
    activeCount: 'number of active managers',
    inputPolicy: '{v4, v6}: what happens to inbound packets no rule admits: drop, reject, accept, or null when nothing filters that family',
    forwardPolicy: '{v4, v6}: the same for forwarded packets',
    ufwDefaultIncoming: 'ufw default for incoming traffic (deny, reject, allow); null when ufw is not active',
    firewalldDefaultZone: 'firewalld default zone; null without firewalld',
    firewalldZones: 'zones firewalld applies: [{name, target, interfaces, sources, services, ports}] (target "default" rejects)',
    rulesLoaded: 'true when a manager is active or any rule or non-accept policy is loaded',
    allowRules: 'rules admitting inbound connections: [{manager, proto, port (null = every port), portEnd?, source ("any" or CIDR), service?, limited?, family?}]',
    portsOpenToAny: 'of the given ports/protos, those any source may reach (no filtering, accept policy, or an allow rule from any source), e.g. ["22/tcp", "5900-5999/tcp"]',
  },
  example: { ports: [22], protos: ['tcp'] },
  badExamples: [{ ports: [0] }, { portRange: [10, 1] }, { protos: ['icmp'] }, { portRange: [1, 65535] }, { extra: 1 }],
  async run(params, ctx) {
    let fw: FirewallState;
    try {
      fw = await readFirewall(ctx);
    } catch (err) {
      // A tool that is present but unreadable is an error, never "no firewall".
      if (isAppError(err)) return probeError(err.code, err.message);
      throw err;
    }
    const ports = new Set(params.ports ?? []);
    if (params.portRange) for (let p = params.portRange[0]; p <= params.portRange[1]; p++) ports.add(p);
    return observed(
      {
        basis: fw.basis,
        installed: fw.installed,
        managers: fw.managers,
        activeCount: fw.managers.length,
        inputPolicy: fw.inputPolicy,
        forwardPolicy: fw.forwardPolicy,
        ufwDefaultIncoming: fw.ufwDefaultIncoming,
        firewalldDefaultZone: fw.firewalldDefaultZone,
        firewalldZones: fw.firewalldZones,
        rulesLoaded: fw.rulesLoaded,
        allowRules: fw.allowRules,
        portsOpenToAny: openToAny(fw, [...ports].sort((a, b) => a - b), params.protos),
      },
      fw.sources,
    );
  },
});

function admits(rule: AllowRule, port: number, proto: 'tcp' | 'udp', family: 'v4' | 'v6'): boolean {
  if (rule.source !== 'any') return false;
  if (rule.proto !== 'any' && rule.proto !== proto) return false;
  if (rule.family !== undefined && rule.family !== family) return false;
  if (rule.port === null) return rule.service === undefined;
  return port >= rule.port && port <= (rule.portEnd ?? rule.port);
}

/** The given ports any source can reach over IPv4 or IPv6, compacted into "from-to/proto" ranges. */
export function openToAny(fw: Pick<FirewallState, 'inputPolicy' | 'allowRules'>, ports: number[], protos: Array<'tcp' | 'udp'>): string[] {
  const out: string[] = [];
  for (const proto of protos) {
    const open = ports.filter((port) =>
      (['v4', 'v6'] as const).some((family) => {
        const policy = fw.inputPolicy[family];
        return policy === null || policy === 'accept' || fw.allowRules.some((r) => admits(r, port, proto, family));
      }),
    );
    let i = 0;
    while (i < open.length) {
      let j = i;
      while (j + 1 < open.length && open[j + 1] === open[j]! + 1) j++;
      out.push(i === j ? `${open[i]}/${proto}` : `${open[i]}-${open[j]}/${proto}`);
      i = j + 1;
    }
  }
  return out;
}
