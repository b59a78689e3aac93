/**
 * @module Parse `nft -j list ruleset`: base-chain policies per hook and family, accept rules
 * reachable from the input hook, and which tool owns each table (nftables itself, firewalld,
 * or iptables-nft).
 */
import {
  emptyRawState,
  normaliseSource,
  stricter,
  type AllowRule,
  type FirewallManager,
  type Policy,
  type RawFilterState,
} from './firewall-model.js';

type Json = unknown;
type Obj = Record<string, Json>;

interface NftChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  type?: string;
  policy?: string;
  rules: Obj[][];
}

export interface NftTable {
  family: string;
  name: string;
  owner: FirewallManager;
  chains: number;
  rules: number;
}

export interface NftState extends RawFilterState {
  tables: NftTable[];
}

const XTABLES_NAMES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const XTABLES_CHAINS = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);

const isObj = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Throws on text that is not nft JSON (the caller reports a parse error). */
export function parseNftRuleset(text: string): NftState {
  const doc = JSON.parse(text) as Json;
  const items = isObj(doc) && Array.isArray(doc.nftables) ? (doc.nftables as Json[]) : undefined;
  if (!items) throw new Error('nft output has no "nftables" array');
  const chains = new Map<string, NftChain>();
  const tables: Array<{ family: string; name: string }> = [];
  const key = (family: unknown, table: unknown, chain: unknown) => `${String(family)}\0${String(table)}\0${String(chain)}`;
  for (const item of items) {
    if (!isObj(item)) continue;
    if (isObj(item.table)) tables.push({ family: String(item.table.family), name: String(item.table.name) });
    if (isObj(item.chain)) {
      const c = item.chain;
      const chain: NftChain = { family: String(c.family), table: String(c.table), name: String(c.name), rules: [] };
      if (typeof c.hook === 'string') chain.hook = c.hook;
      if (typeof c.type === 'string') chain.type = c.type;
      if (typeof c.policy === 'string') chain.policy = c.policy;
      chains.set(key(c.family, c.table, c.name), chain);
    }
    if (isObj(item.rule)) {
      const r = item.rule;
      const chain = chains.get(key(r.family, r.table, r.chain));
      if (chain && Array.isArray(r.expr)) chain.rules.push(r.expr.filter(isObj));
    }
  }

  const state: NftState = { ...emptyRawState(), tables: [] };
  for (const t of tables) {
    const own = [...chains.values()].filter((c) => c.family === t.family && c.table === t.name);
    const owner: FirewallManager =
      t.name === 'firewalld'
        ? 'firewalld'
        : ['ip', 'ip6', 'arp', 'bridge'].includes(t.family) && XTABLES_NAMES.has(t.name) && own.some((c) => XTABLES_CHAINS.has(c.name))
          ? 'iptables'
          : 'nftables';
    state.tables.push({ family: t.family, name: t.name, owner, chains: own.length, rules: own.reduce((n, c) => n + c.rules.length, 0) });
  }

  for (const chain of chains.values()) {
    if (chain.rules.length > 0 || (chain.policy !== undefined && chain.policy !== 'accept')) state.rulesLoaded = true;
    if (chain.type !== 'filter' || (chain.hook !== 'input' && chain.hook !== 'forward')) continue;
    const fams = chain.family === 'inet' ? (['v4', 'v6'] as const) : chain.family === 'ip' ? (['v4'] as const) : chain.family === 'ip6' ? (['v6'] as const) : [];
    const effective = effectivePolicy(chain);
    const slot = chain.hook === 'input' ? state.input : state.forward;
    for (const f of fams) slot[f] = stricter(slot[f], effective);
  }

  // Accept rules in every chain reachable from an input base chain (following jump/goto).
  const seen = new Set<string>();
  const queue = [...chains.values()].filter((c) => c.type === 'filter' && c.hook === 'input');
  while (queue.length > 0) {
    const chain = queue.shift()!;
    const k = key(chain.family, chain.table, chain.name);
    if (seen.has(k)) continue;
    seen.add(k);
    const owner = state.tables.find((t) => t.family === chain.family && t.name === chain.table)?.owner ?? 'nftables';
    for (const expr of chain.rules) {
      for (const e of expr) {
        const target = isObj(e.jump) ? e.jump.target : isObj(e.goto) ? e.goto.target : undefined;
        const next = target === undefined ? undefined : chains.get(key(chain.family, chain.table, target));
        if (next) queue.push(next);
      }
      state.allowRules.push(...allowRulesOf(expr, owner, chain.family));
    }
  }
  return state;
}

/** The chain's policy, or the verdict of a final rule that drops or rejects everything. */
function effectivePolicy(chain: NftChain): Policy {
  const last = chain.rules.at(-1);
  if (last && last.every((e) => 'counter' in e || 'log' in e || 'drop' in e || 'reject' in e)) {
    if (last.some((e) => 'drop' in e)) return 'drop';
    if (last.some((e) => 'reject' in e)) return 'reject';
  }
  return chain.policy === 'drop' ? 'drop' : 'accept';
}

interface Conditions {
  proto?: 'tcp' | 'udp';
  ports?: Array<[number, number]>;
  sources: string[];
  skip: boolean;
  unknown: boolean;
}

/** Accept rules that admit new connections to ports, as AllowRules. Loopback and established-only rules are not. */
function allowRulesOf(expr: Obj[], owner: FirewallManager, family: string): AllowRule[] {
  if (!expr.some((e) => 'accept' in e)) return [];
  const c: Conditions = { sources: [], skip: false, unknown: false };
  for (const e of expr) {
    if (!isObj(e.match)) continue;
    readMatch(e.match, c);
  }
  if (c.skip || (c.unknown && c.ports === undefined)) return [];
  const fam = family === 'ip' ? { family: 'v4' as const } : family === 'ip6' ? { family: 'v6' as const } : {};
  const sources = c.sources.length > 0 ? c.sources : ['any'];
  const out: AllowRule[] = [];
  for (const source of sources) {
    for (const [a, b] of c.ports ?? [[null, null] as const]) {
      const rule: AllowRule = { manager: owner, proto: c.proto ?? 'any', port: a, source, ...fam };
      if (b !== null && a !== null && b !== a) rule.portEnd = b;
      out.push(rule);
    }
  }
  return out;
}

function readMatch(m: Obj, c: Conditions): void {
  const left = m.left;
  const right = m.right;
  const op = String(m.op ?? '==');
  if (op === '!=') {
    c.unknown = true;
    return;
  }
  if (isObj(left) && isObj(left.payload)) {
    const { protocol, field } = left.payload as { protocol?: string; field?: string };
    if (field === 'dport') {
      if (protocol === 'tcp' || protocol === 'udp') c.proto = protocol;
      const ports = portValues(right);
      if (ports) c.ports = ports;
      else c.unknown = true;
      return;
    }
    if (field === 'saddr' && (protocol === 'ip' || protocol === 'ip6')) {
      const addrs = addressValues(right);
      if (addrs) c.sources.push(...addrs.map(normaliseSource));
      else c.unknown = true;
      return;
    }
    c.unknown = true;
    return;
  }
  if (isObj(left) && isObj(left.meta)) {
    const k = (left.meta as { key?: string }).key;
    if ((k === 'iif' || k === 'iifname') && (right === 'lo' || (isObj(right) && Array.isArray(right.set) && right.set.includes('lo')))) {
      c.skip = true;
      return;
    }
    if (k === 'l4proto' && (right === 'tcp' || right === 'udp')) {
      c.proto = right;
      return;
    }
    c.unknown = true;
    return;
  }
  if (isObj(left) && isObj(left.ct) && (left.ct as { key?: string }).key === 'state') {
    const states = Array.isArray(right) ? right.map(String) : isObj(right) && Array.isArray(right.set) ? right.set.map(String) : [String(right)];
    // established/related only: return traffic, not new connections.
    if (!states.includes('new')) c.skip = true;
    return;
  }
  c.unknown = true;
}

function portValues(v: Json): Array<[number, number]> | undefined {
  if (typeof v === 'number') return [[v, v]];
  if (isObj(v) && Array.isArray(v.range) && typeof v.range[0] === 'number' && typeof v.range[1] === 'number') return [[v.range[0], v.range[1]]];
  if (isObj(v) && Array.isArray(v.set)) {
    const out: Array<[number, number]> = [];
    for (const x of v.set) {
      const p = portValues(x);
      if (!p) return undefined;
      out.push(...p);
    }
    return out;
  }
  return undefined;
}

function addressValues(v: Json): string[] | undefined {
  if (typeof v === 'string' && !v.startsWith('@')) return [v];
  if (isObj(v) && isObj(v.prefix)) return [`${String(v.prefix.addr)}/${String(v.prefix.len)}`];
  if (isObj(v) && Array.isArray(v.range)) return [`${String(v.range[0])}-${String(v.range[1])}`];
  if (isObj(v) && Array.isArray(v.set)) {
    const out: string[] = [];
    for (const x of v.set) {
      const a = addressValues(x);
      if (!a) return undefined;
      out.push(...a);
    }
    return out;
  }
  return undefined;
}
