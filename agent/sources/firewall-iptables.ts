/**
 * @module Parse `iptables-save` / `ip6tables-save` output: INPUT and FORWARD policies of the
 * filter table (":INPUT DROP [0:0]"), whether any rules are loaded, and ACCEPT rules reachable
 * from INPUT as AllowRules.
 */
import { normaliseSource, parsePortList, rulesForPorts, type AllowRule, type FirewallManager, type Policy } from './firewall-model.js';

export interface IptablesState {
  /** Filter-table INPUT policy with a final catch-all DROP/REJECT rule taken into account; null when no filter table. */
  input: Policy;
  forward: Policy;
  /** -A lines per chain (filter table), in order. */
  chains: Map<string, string[]>;
  /** Policies of built-in filter chains as written (e.g. INPUT → DROP). */
  policies: Map<string, string>;
  /** Rules in any table, or a non-ACCEPT built-in policy. */
  rulesLoaded: boolean;
  allowRules: AllowRule[];
}

/** Parse one save file. `family` tags the AllowRules; `owner` says whose rules they are. Throws nothing: unknown lines are ignored. */
export function parseIptablesSave(
  text: string,
  family: 'v4' | 'v6',
  owner: FirewallManager = 'iptables',
  /** Chains whose rules belong to another manager (ufw-*, firewalld's): not followed. */
  skipChain: (name: string) => boolean = () => false,
): IptablesState {
  const chains = new Map<string, string[]>();
  const policies = new Map<string, string>();
  let table = '';
  let anyRule = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':') && table === 'filter') {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name) {
        if (policy && policy !== '-') policies.set(name, policy);
        if (!chains.has(name)) chains.set(name, []);
      }
    } else if (line.startsWith('-A ')) {
      anyRule = true;
      if (table !== 'filter') continue;
      const name = line.split(/\s+/)[1]!;
      const list = chains.get(name) ?? [];
      list.push(line);
      chains.set(name, list);
    }
  }
  const hasFilter = policies.size > 0 || chains.size > 0;
  const state: IptablesState = {
    input: hasFilter ? effective(policies.get('INPUT'), chains.get('INPUT')) : null,
    forward: hasFilter ? effective(policies.get('FORWARD'), chains.get('FORWARD')) : null,
    chains,
    policies,
    rulesLoaded: anyRule || [...policies.values()].some((p) => p !== 'ACCEPT'),
    allowRules: [],
  };
  const seen = new Set<string>();
  const queue = ['INPUT'];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name) || skipChain(name)) continue;
    seen.add(name);
    for (const rule of chains.get(name) ?? []) {
      const target = option(rule, ['-j', '--jump', '-g', '--goto']);
      if (target && chains.has(target)) queue.push(target);
      if (target === 'ACCEPT') state.allowRules.push(...allowRulesOf(rule, family, owner));
    }
  }
  return state;
}

function effective(policy: string | undefined, rules: string[] | undefined): Policy {
  const last = rules?.at(-1);
  // "-A INPUT -j DROP" (nothing else but a comment or a REJECT option) ends the chain.
  if (last) {
    const rest = last.replace(/^-A\s+\S+\s+/, '').replace(/-m comment --comment ("[^"]*"|\S+)\s*/g, '').trim();
    if (/^-j DROP$/.test(rest)) return 'drop';
    if (/^-j REJECT(\s+--reject-with\s+\S+)?$/.test(rest)) return 'reject';
  }
  if (policy === 'DROP') return 'drop';
  if (policy === 'REJECT') return 'reject';
  return 'accept';
}

function option(rule: string, names: string[]): string | undefined {
  const words = rule.split(/\s+/);
  for (let i = 0; i < words.length - 1; i++) if (names.includes(words[i]!) && words[i - 1] !== '!') return words[i + 1];
  return undefined;
}

function allowRulesOf(rule: string, family: 'v4' | 'v6', owner: FirewallManager): AllowRule[] {
  // Loopback and return traffic are not inbound service exposure.
  if (/(^|\s)(-i|--in-interface) lo(\s|$)/.test(rule)) return [];
  const states = /--(?:ct)?state\s+(\S+)/.exec(rule)?.[1];
  if (states && !states.split(',').includes('NEW')) return [];
  if (/\s!\s/.test(rule)) return [];
  const proto = option(rule, ['-p', '--protocol']);
  const ports = option(rule, ['--dport', '--destination-port', '--dports', '--destination-ports']);
  const src = option(rule, ['-s', '--source']);
  // A rule that matches on something else we do not model (icmp type, mark, ...) without a port is not a port allow.
  const other = /\s(--icmp-type|--icmpv6-type|--mark|--uid-owner|-m (?:icmp|icmp6|mark|owner|addrtype|set))\b/.test(rule);
  if (other && ports === undefined) return [];
  const base: Omit<AllowRule, 'port' | 'portEnd'> = {
    manager: owner,
    proto: proto === 'tcp' || proto === 'udp' ? proto : 'any',
    source: normaliseSource(src),
    family,
  };
  if (ports === undefined) return [{ ...base, port: null }];
  return rulesForPorts(base, parsePortList(ports));
}
