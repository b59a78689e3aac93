/**
 * @module Parse firewalld: `firewall-cmd --list-all-zones` (live zones with targets, bindings,
 * services, ports and rich rules) and zone XML files (offline roots), turning services and
 * ports admitted by each active zone into AllowRules.
 */
import { normaliseSource, parsePortList, rulesForPorts, type AllowRule } from './firewall-model.js';

export interface FirewalldZone {
  name: string;
  /** As firewalld prints it: "default", "DROP", "REJECT", "ACCEPT" (XML %%REJECT%% is shown as REJECT). */
  target: string;
  isDefault: boolean;
  active: boolean;
  interfaces: string[];
  sources: string[];
  services: string[];
  ports: string[];
  richRules: string[];
}

/** Ports of firewalld's stock service definitions that matter for exposure (subset of /usr/lib/firewalld/services). */
const FIREWALLD_SERVICES: Record<string, Array<{ proto: 'tcp' | 'udp'; ports: string }>> = {
  ssh: [{ proto: 'tcp', ports: '22' }],
  cockpit: [{ proto: 'tcp', ports: '9090' }],
  'dhcpv6-client': [{ proto: 'udp', ports: '546' }],
  dhcp: [{ proto: 'udp', ports: '67' }],
  http: [{ proto: 'tcp', ports: '80' }],
  https: [{ proto: 'tcp', ports: '443' }],
  dns: [{ proto: 'tcp', ports: '53' }, { proto: 'udp', ports: '53' }],
  ntp: [{ proto: 'udp', ports: '123' }],
  mdns: [{ proto: 'udp', ports: '5353' }],
  ipp: [{ proto: 'tcp', ports: '631' }, { proto: 'udp', ports: '631' }],
  'ipp-client': [{ proto: 'udp', ports: '631' }],
  samba: [{ proto: 'tcp', ports: '139,445' }, { proto: 'udp', ports: '137,138' }],
  'samba-client': [{ proto: 'udp', ports: '137,138' }],
  nfs: [{ proto: 'tcp', ports: '2049' }],
  nfs3: [{ proto: 'tcp', ports: '2049' }, { proto: 'udp', ports: '2049' }],
  'rpc-bind': [{ proto: 'tcp', ports: '111' }, { proto: 'udp', ports: '111' }],
  mountd: [{ proto: 'tcp', ports: '20048' }, { proto: 'udp', ports: '20048' }],
  'vnc-server': [{ proto: 'tcp', ports: '5900-5903' }],
  rdp: [{ proto: 'tcp', ports: '3389' }],
  telnet: [{ proto: 'tcp', ports: '23' }],
  ftp: [{ proto: 'tcp', ports: '21' }],
  tftp: [{ proto: 'udp', ports: '69' }],
  snmp: [{ proto: 'udp', ports: '161' }],
  'wbem-https': [{ proto: 'tcp', ports: '5989' }],
  'ws-management': [{ proto: 'tcp', ports: '5985' }],
  'ws-managements': [{ proto: 'tcp', ports: '5986' }],
  webmin: [{ proto: 'tcp', ports: '10000' }],
  ipmi: [{ proto: 'udp', ports: '623' }],
  postgresql: [{ proto: 'tcp', ports: '5432' }],
  mysql: [{ proto: 'tcp', ports: '3306' }],
  redis: [{ proto: 'tcp', ports: '6379' }],
  'prometheus-node-exporter': [{ proto: 'tcp', ports: '9100' }],
};

/** Parse the output of `firewall-cmd --list-all-zones`. */
export function parseFirewalldZones(text: string): FirewalldZone[] {
  const zones: FirewalldZone[] = [];
  let zone: FirewalldZone | undefined;
  let inRich = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const header = /^(\S+)(?:\s+\(([^)]*)\))?\s*$/.exec(line);
    if (header && !/^\s/.test(line)) {
      const flags = (header[2] ?? '').split(',').map((s) => s.trim());
      zone = { name: header[1]!, target: 'default', isDefault: flags.includes('default'), active: flags.includes('active'), interfaces: [], sources: [], services: [], ports: [], richRules: [] };
      zones.push(zone);
      inRich = false;
      continue;
    }
    if (!zone) continue;
    const kv = /^\s+([a-z0-9 -]+):\s*(.*)$/.exec(line);
    if (kv && !/^\s*rule\s/.test(line)) {
      const [, k, v] = kv as unknown as [string, string, string];
      const list = v.trim() === '' ? [] : v.trim().split(/\s+/);
      inRich = k === 'rich rules';
      if (k === 'target') zone.target = v.trim() === '%%REJECT%%' ? 'REJECT' : v.trim();
      else if (k === 'interfaces') zone.interfaces = list;
      else if (k === 'sources') zone.sources = list;
      else if (k === 'services') zone.services = list;
      else if (k === 'ports') zone.ports = list;
      continue;
    }
    if (inRich && /^\s*rule\s/.test(line)) zone.richRules.push(line.trim());
  }
  return zones;
}

/** Parse one zone XML file (/etc/firewalld/zones/NAME.xml or /usr/lib/firewalld/zones/NAME.xml). */
export function parseFirewalldZoneXml(name: string, xml: string): FirewalldZone {
  const target = /<zone\b[^>]*\btarget="([^"]+)"/.exec(xml)?.[1] ?? 'default';
  const attr = (tag: string, a: string, text: string) => [...text.matchAll(new RegExp(`<${tag}\\b[^>]*\\b${a}="([^"]+)"`, 'g'))].map((m) => m[1]!);
  const rules = [...xml.matchAll(/<rule\b([^>]*)>([\s\S]*?)<\/rule>/g)];
  const outside = xml.replace(/<rule\b[\s\S]*?<\/rule>/g, '');
  const ports = [...outside.matchAll(/<port\b([^>]*)\/?>/g)].map((m) => {
    const port = /\bport="([^"]+)"/.exec(m[1]!)?.[1];
    const proto = /\bprotocol="([^"]+)"/.exec(m[1]!)?.[1];
    return `${port}/${proto}`;
  });
  return {
    name,
    target: target === '%%REJECT%%' ? 'REJECT' : target,
    isDefault: false,
    active: false,
    interfaces: attr('interface', 'name', outside),
    sources: attr('source', 'address', outside),
    services: attr('service', 'name', outside),
    ports,
    richRules: rules.map((r) => richRuleFromXml(r[1]!, r[2]!)),
  };
}

/** Render an XML <rule> in the rich-rule language so one parser handles both. */
function richRuleFromXml(attrs: string, body: string): string {
  const parts = ['rule'];
  const family = /\bfamily="([^"]+)"/.exec(attrs)?.[1];
  if (family) parts.push(`family="${family}"`);
  const src = /<source\b([^>]*)\/?>/.exec(body)?.[1];
  if (src) parts.push(`source${/\binvert="(true|yes)"/.test(src) ? ' NOT' : ''} address="${/\baddress="([^"]+)"/.exec(src)?.[1] ?? ''}"`);
  const svc = /<service\b[^>]*\bname="([^"]+)"/.exec(body)?.[1];
  if (svc) parts.push(`service name="${svc}"`);
  const port = /<port\b([^>]*)\/?>/.exec(body)?.[1];
  if (port) parts.push(`port port="${/\bport="([^"]+)"/.exec(port)?.[1] ?? ''}" protocol="${/\bprotocol="([^"]+)"/.exec(port)?.[1] ?? ''}"`);
  if (/<accept\b/.test(body)) parts.push('accept');
  else if (/<reject\b/.test(body)) parts.push('reject');
  else if (/<drop\b/.test(body)) parts.push('drop');
  return parts.join(' ');
}

/** What one active zone admits. A zone bound by sources only admits from those sources; one bound to interfaces admits from anywhere. */
export function zoneAllowRules(zone: FirewalldZone): AllowRule[] {
  const sources = zone.interfaces.length > 0 || zone.sources.length === 0 ? ['any'] : zone.sources.map(normaliseSource);
  const out: AllowRule[] = [];
  if (zone.target.toUpperCase() === 'ACCEPT') {
    for (const source of sources) out.push({ manager: 'firewalld', proto: 'any', port: null, source });
    return out;
  }
  for (const source of sources) {
    for (const svc of zone.services) out.push(...serviceRules(svc, source));
    for (const p of zone.ports) out.push(...portRules(p, source));
  }
  for (const rich of zone.richRules) out.push(...richRuleAllows(rich));
  return out;
}

function serviceRules(service: string, source: string, family?: 'v4' | 'v6'): AllowRule[] {
  const fam = family ? { family } : {};
  const def = FIREWALLD_SERVICES[service];
  if (!def) return [{ manager: 'firewalld', proto: 'any', port: null, source, service, ...fam }];
  return def.flatMap((d) => rulesForPorts({ manager: 'firewalld', proto: d.proto, source, service, ...fam }, parsePortList(d.ports)));
}

function portRules(spec: string, source: string, family?: 'v4' | 'v6'): AllowRule[] {
  const [ports, proto] = spec.split('/');
  const p = proto === 'tcp' || proto === 'udp' ? proto : 'any';
  return rulesForPorts({ manager: 'firewalld', proto: p, source, ...(family ? { family } : {}) }, parsePortList(ports ?? ''));
}

/** Accepting rich rules: `rule family="ipv4" source address="10.0.0.0/8" service name="ssh" accept`. */
export function richRuleAllows(rule: string): AllowRule[] {
  if (!/\baccept\b/.test(rule) || /\bsource\s+NOT\b/.test(rule)) return [];
  const fam = /\bfamily="ipv4"/.test(rule) ? 'v4' : /\bfamily="ipv6"/.test(rule) ? 'v6' : undefined;
  const source = normaliseSource(/\bsource\s+address="([^"]+)"/.exec(rule)?.[1]);
  const svc = /\bservice\s+name="([^"]+)"/.exec(rule)?.[1];
  if (svc) return serviceRules(svc, source, fam);
  const port = /\bport\s+port="([^"]+)"\s+protocol="([^"]+)"/.exec(rule);
  if (port) return portRules(`${port[1]}/${port[2]}`, source, fam);
  // No service or port: everything from that source.
  return [{ manager: 'firewalld', proto: 'any', port: null, source, ...(fam ? { family: fam } : {}) }];
}
