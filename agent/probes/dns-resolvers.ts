/**
 * @module Probe `dns-resolvers`: the upstream name servers this host really uses (seeing through
 * the systemd-resolved stub), DNS-over-TLS, the nsswitch hosts order and NetworkManager's DNS mode,
 * and which servers fall outside an approved list.
 */
import { z } from 'zod';
import { inNetwork, isNetwork } from '../../shared/ip-address.js';
import { readDnsConfig } from '../sources/dns-config.js';
import { defineProbe, notApplicable, observed, runtimeMissing } from './probe.js';

export const dnsResolversProbe = defineProbe({
  type: 'dns-resolvers',
  summary:
    'Upstream DNS servers from /etc/resolv.conf (through the systemd-resolved stub to its upstream list), DNSOverTLS, nsswitch hosts line, NetworkManager dns= mode, and servers outside an approved list.',
  params: () => z.strictObject({
    /** Approved resolvers (addresses or CIDR networks). `unapproved` lists servers outside them; with none given, every server is unapproved. */
    approved: z.array(z.string().refine(isNetwork, 'an IP address or CIDR network')).default([]),
  }),
  fields: {
    nameservers: 'upstream name servers in use, in order (the stub address is replaced by systemd-resolved upstream servers)',
    count: 'number of distinct upstream name servers',
    stub: 'true when /etc/resolv.conf points at the systemd-resolved stub (127.0.0.53/54)',
    dnsOverTls: 'systemd-resolved DNSOverTLS= (yes, opportunistic, no); null when not set',
    nmDnsMode: 'NetworkManager [main] dns= (none, default, systemd-resolved, dnsmasq ...); "unset" when NetworkManager is configured without it; null without NetworkManager',
    nsswitchHosts: 'the hosts: line of /etc/nsswitch.conf, e.g. "files dns"',
    unapproved: 'name servers outside the approved list',
    approvedConfigured: 'true when an approved list was given',
  },
  example: { approved: ['10.0.0.53', '10.1.0.0/24'] },
  badExamples: [{ approved: ['dns.example.gov'] }, { approved: 'x' }, { other: 1 }],
  async run(params, ctx) {
    const dns = await readDnsConfig(ctx);
    if (dns.resolvConf === undefined && !dns.resolvedManaged) return notApplicable('no /etc/resolv.conf: this host does not use a DNS resolver', dns.sources);
    let servers = dns.resolvConf ?? [];
    if (dns.resolvedManaged) {
      const upstream = dns.resolvedRuntime ?? (dns.resolvedConfigured.length > 0 ? dns.resolvedConfigured : undefined);
      // Offline, servers learned from DHCP are unknowable; only configured DNS= can be judged.
      if (upstream === undefined) return runtimeMissing(ctx, 'the systemd-resolved upstream list (/run/systemd/resolve/resolv.conf)');
      servers = [...servers.filter((s) => !['127.0.0.53', '127.0.0.54'].includes(s)), ...upstream];
    }
    const nameservers = [...new Set(servers)];
    return observed(
      {
        nameservers,
        count: nameservers.length,
        stub: dns.stub,
        dnsOverTls: dns.dnsOverTls,
        nmDnsMode: dns.nmDnsMode,
        nsswitchHosts: dns.nsswitchHosts,
        unapproved: nameservers.filter((s) => !params.approved.some((n) => inNetwork(s, n))),
        approvedConfigured: params.approved.length > 0,
      },
      dns.sources,
    );
  },
});
