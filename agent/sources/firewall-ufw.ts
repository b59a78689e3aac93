/**
 * @module Parse ufw: `ufw status verbose` (live state, defaults, rules), /etc/ufw/user.rules
 * tuples (the persisted rules, for offline roots), /etc/ufw/ufw.conf and /etc/default/ufw.
 */
import { normaliseSource, parsePortList, policyWord, rulesForPorts, type AllowRule, type Policy } from './firewall-model.js';

export interface UfwStatus {
  active: boolean;
  /** "deny", "reject" or "allow" as ufw prints it; null when not shown (inactive). */
  defaultIncoming: string | null;
  defaultRouted: string | null;
  allowRules: AllowRule[];
}

/** Ports of the application profiles ufw ships or common packages install. */
const UFW_APPS: Record<string, { proto: 'tcp' | 'udp' | 'any'; ports: string }> = {
  openssh: { proto: 'tcp', ports: '22' },
  'nginx http': { proto: 'tcp', ports: '80' },
  'nginx https': { proto: 'tcp', ports: '443' },
  'nginx full': { proto: 'tcp', ports: '80,443' },
  apache: { proto: 'tcp', ports: '80' },
  'apache secure': { proto: 'tcp', ports: '443' },
  'apache full': { proto: 'tcp', ports: '80,443' },
  samba: { proto: 'any', ports: '137,138,139,445' },
  cups: { proto: 'tcp', ports: '631' },
  postfix: { proto: 'tcp', ports: '25' },
  bind9: { proto: 'any', ports: '53' },
};

export function parseUfwStatus(text: string): UfwStatus {
  const active = /^Status:\s*active\s*$/m.test(text);
  const defaults = /^Default:\s*(.*)$/m.exec(text)?.[1] ?? '';
  const incoming = /(\w+)\s*\(incoming\)/.exec(defaults)?.[1] ?? null;
  const routed = /(\w+)\s*\(routed\)/.exec(defaults)?.[1] ?? null;
  const allowRules: AllowRule[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^To\s+Action\s+From/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable || /^--/.test(line) || line.trim() === '') continue;
    const cols = line.trim().split(/\s{2,}/);
    if (cols.length < 3) continue;
    const [to, action, from] = cols as [string, string, string];
    const act = /^(ALLOW|LIMIT)\s+(IN|FWD)?/.exec(action);
    if (!act || act[2] === 'FWD') continue;
    if (/\bOUT\b/.test(action)) continue;
    const v6 = /\(v6\)/.test(to) || /\(v6\)/.test(from);
    const base = {
      manager: 'ufw' as const,
      source: normaliseSource(from.replace(/\s+on\s+\S+$/, '').replace(/\s+\d[\d,:]*(\/\w+)?$/, '')),
      ...(act[1] === 'LIMIT' ? { limited: true } : { limited: false }),
      ...(v6 ? { family: 'v6' as const } : {}),
    };
    allowRules.push(...toRules(to.replace(/\s*\(v6\)/, '').replace(/\s+on\s+\S+$/, ''), base));
  }
  return { active, defaultIncoming: incoming, defaultRouted: routed, allowRules };
}

/** The "To" column: "22/tcp", "80,443/tcp", "6000:6007/tcp", "22", "OpenSSH", "Anywhere", "10.0.0.1 22/tcp". */
function toRules(to: string, base: Omit<AllowRule, 'port' | 'portEnd' | 'proto'>): AllowRule[] {
  const spec = to.trim().split(/\s+/).at(-1) ?? '';
  if (/^anywhere$/i.test(spec) || /^anywhere$/i.test(to.trim())) return [{ ...base, proto: 'any', port: null }];
  const m = /^([\d,:]+)(?:\/(tcp|udp))?$/.exec(spec);
  if (m) return rulesForPorts({ ...base, proto: (m[2] as 'tcp' | 'udp' | undefined) ?? 'any' }, parsePortList(m[1]!));
  // An address-only destination ("10.0.0.1") admits every port to it.
  if (/^[\d.:a-fA-F/]+$/.test(spec) && /[.:]/.test(spec)) return [{ ...base, proto: 'any', port: null }];
  return appRules(to.trim(), base);
}

function appRules(name: string, base: Omit<AllowRule, 'port' | 'portEnd' | 'proto'>): AllowRule[] {
  const app = UFW_APPS[name.toLowerCase()];
  if (!app) return [{ ...base, proto: 'any', port: null, service: name }];
  return rulesForPorts({ ...base, proto: app.proto, service: name }, parsePortList(app.ports));
}

/**
 * Rules persisted in /etc/ufw/user.rules or user6.rules:
 * `### tuple ### limit tcp 22 0.0.0.0/0 any 10.20.0.0/16 in` (with app names: `... OpenSSH - in`).
 */
export function parseUfwUserRules(text: string, family: 'v4' | 'v6'): AllowRule[] {
  const out: AllowRule[] = [];
  for (const line of text.split('\n')) {
    const m = /^### tuple ###\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const f = m[1]!.split(/\s+/);
    const [action, proto, dport, , , src] = f;
    const direction = f.at(-1);
    if ((action !== 'allow' && action !== 'limit') || direction !== 'in' || !dport || !src) continue;
    const base: Omit<AllowRule, 'port' | 'portEnd'> = {
      manager: 'ufw',
      proto: proto === 'tcp' || proto === 'udp' ? proto : 'any',
      source: normaliseSource(src),
      limited: action === 'limit',
      family,
    };
    if (dport === 'any') out.push({ ...base, port: null });
    else out.push(...rulesForPorts(base, parsePortList(dport)));
  }
  return out;
}

/** KEY=value lines of /etc/ufw/ufw.conf, /etc/default/ufw and firewalld.conf (quotes removed). */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  return out;
}

/** ufw's routed default: "disabled" means the FORWARD policy from /etc/default/ufw applies. */
export function ufwForwardPolicy(routed: string | null, defaults: Record<string, string>): Policy {
  if (routed !== null && routed !== 'disabled') return policyWord(routed);
  return policyWord(defaults.DEFAULT_FORWARD_POLICY ?? 'DROP');
}
