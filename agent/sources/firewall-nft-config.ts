/**
 * @module Read an nftables configuration file (/etc/nftables.conf) the way the nftables service
 * would load it, for offline roots: base-chain policies and simple port accept rules
 * ("ip saddr 10.0.0.0/8 tcp dport { 22, 443 } accept"). Included files are not followed.
 */
import { emptyRawState, normaliseSource, parsePortList, rulesForPorts, stricter, type AllowRule, type Policy, type RawFilterState } from './firewall-model.js';

export interface NftConfigState extends RawFilterState {
  /** Chains declared across all tables. */
  chains: number;
}

interface Chain {
  family: string;
  name: string;
  hook?: string;
  policy?: string;
  rules: string[];
}

/** Body text of the block whose `{` is at `open`, or undefined when unbalanced. */
function block(text: string, open: number): { body: string; end: number } | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return { body: text.slice(open + 1, i), end: i };
  }
  return undefined;
}

export function parseNftConfig(text: string): NftConfigState {
  const clean = text.replace(/#.*$/gm, '');
  const chains: Chain[] = [];
  const tableRe = /\btable\s+(?:(ip|ip6|inet|arp|bridge|netdev)\s+)?([\w.-]+)\s*\{/g;
  for (let t = tableRe.exec(clean); t; t = tableRe.exec(clean)) {
    const family = t[1] ?? 'ip';
    const tb = block(clean, t.index + t[0].length - 1);
    if (!tb) break;
    tableRe.lastIndex = tb.end + 1;
    const chainRe = /\bchain\s+([\w.-]+)\s*\{/g;
    for (let c = chainRe.exec(tb.body); c; c = chainRe.exec(tb.body)) {
      const cb = block(tb.body, c.index + c[0].length - 1);
      if (!cb) break;
      chainRe.lastIndex = cb.end + 1;
      const chain: Chain = { family, name: c[1]!, rules: [] };
      for (const stmt of cb.body.split(/[\n;]/).map((s) => s.trim()).filter(Boolean)) {
        const hook = /^type\s+filter\s+hook\s+(\w+)/.exec(stmt);
        const policy = /^policy\s+(\w+)/.exec(stmt);
        if (hook) chain.hook = hook[1]!;
        else if (policy) chain.policy = policy[1]!;
        else if (!/^(type|priority|comment|devices?)\b/.test(stmt)) chain.rules.push(stmt);
      }
      chains.push(chain);
    }
  }
  const state: NftConfigState = { ...emptyRawState(), chains: chains.length };
  for (const chain of chains) {
    if (chain.rules.length > 0 || (chain.policy ?? 'accept') !== 'accept') state.rulesLoaded = true;
    if (chain.hook !== 'input' && chain.hook !== 'forward') continue;
    const last = chain.rules.at(-1);
    let p: Policy = chain.policy === 'drop' ? 'drop' : 'accept';
    if (last && /^(counter\s+)?(log\b.*\s)?drop$/.test(last)) p = 'drop';
    else if (last && /^(counter\s+)?(log\b.*\s)?reject\b/.test(last)) p = stricter(p, 'reject');
    const fams = chain.family === 'inet' ? (['v4', 'v6'] as const) : chain.family === 'ip' ? (['v4'] as const) : chain.family === 'ip6' ? (['v6'] as const) : [];
    const slot = chain.hook === 'input' ? state.input : state.forward;
    for (const f of fams) slot[f] = stricter(slot[f], p);
  }
  const seen = new Set<Chain>();
  const queue = chains.filter((c) => c.hook === 'input');
  while (queue.length > 0) {
    const chain = queue.shift()!;
    if (seen.has(chain)) continue;
    seen.add(chain);
    for (const rule of chain.rules) {
      const jump = /\b(?:jump|goto)\s+([\w.-]+)/.exec(rule)?.[1];
      const next = chains.find((c) => c.family === chain.family && c.name === jump);
      if (next) queue.push(next);
      state.allowRules.push(...allowRulesOf(rule, chain.family));
    }
  }
  return state;
}

function setItems(text: string): string[] {
  return text.replace(/^\{|\}$/g, '').split(',').map((s) => s.trim()).filter(Boolean);
}

function allowRulesOf(rule: string, family: string): AllowRule[] {
  if (!/\baccept$/.test(rule)) return [];
  if (/\b(iif|iifname)\s+"?lo"?\b/.test(rule)) return [];
  const ct = /\bct\s+state\s+(\{[^}]*\}|\S+)/.exec(rule)?.[1];
  if (ct && !setItems(ct).includes('new')) return [];
  if (/\s!=\s/.test(rule)) return [];
  const dport = /\b(tcp|udp|th)\s+dport\s+(\{[^}]*\}|\S+)/.exec(rule);
  const saddr = /\bip6?\s+saddr\s+(\{[^}]*\}|\S+)/.exec(rule)?.[1];
  const l4 = /\bmeta\s+l4proto\s+(tcp|udp)\b/.exec(rule)?.[1];
  const stripped = rule
    .replace(/\b(tcp|udp|th)\s+dport\s+(\{[^}]*\}|\S+)/, '')
    .replace(/\bip6?\s+saddr\s+(\{[^}]*\}|\S+)/, '')
    .replace(/\bct\s+state\s+(\{[^}]*\}|\S+)/, '')
    .replace(/\bmeta\s+l4proto\s+\w+/, '')
    .replace(/\b(counter|log(\s+prefix\s+"[^"]*")?|accept)\b/g, '')
    .trim();
  // Something else we do not model (icmp type, mark, ...) without a port: not a port allow.
  if (stripped !== '' && !dport) return [];
  const proto = dport && dport[1] !== 'th' ? (dport[1] as 'tcp' | 'udp') : l4 === 'tcp' || l4 === 'udp' ? l4 : ('any' as const);
  const fam = family === 'ip' ? { family: 'v4' as const } : family === 'ip6' ? { family: 'v6' as const } : {};
  const sources = saddr ? setItems(saddr).map(normaliseSource) : ['any'];
  return sources.flatMap((source) => {
    const base = { manager: 'nftables' as const, proto, source, ...fam };
    return dport ? rulesForPorts(base, parsePortList(setItems(dport[2]!).join(','))) : [{ ...base, port: null }];
  });
}
