/**
 * @module The shapes every firewall parser (nftables, iptables, ufw, firewalld) produces, and the
 * small helpers they share: policy words, "any source", port ranges.
 */

export type FirewallManager = 'firewalld' | 'ufw' | 'nftables' | 'iptables';
export const FIREWALL_MANAGERS: readonly FirewallManager[] = ['firewalld', 'ufw', 'nftables', 'iptables'];

/** What happens to a packet no rule accepted. null: nothing filters this traffic. */
export type Policy = 'drop' | 'reject' | 'accept' | null;

export interface FamilyPolicy {
  v4: Policy;
  v6: Policy;
}

/** One rule that admits new inbound connections. */
export interface AllowRule {
  manager: FirewallManager;
  proto: 'tcp' | 'udp' | 'any';
  /** First destination port; null means every port (or, with `service` set, ports this agent does not know). */
  port: number | null;
  /** Last port of a range (inclusive); absent for a single port. */
  portEnd?: number;
  /** "any", or the address / CIDR network the rule admits. */
  source: string;
  /** Named service or application profile the rule was written with (firewalld service, ufw app). */
  service?: string;
  /** ufw LIMIT rules: accepted but rate limited. */
  limited?: boolean;
  /** Only IPv4 or only IPv6 traffic; absent: both. */
  family?: 'v4' | 'v6';
}

/** Packet-filter state of one layer (nft ruleset or iptables-save). */
export interface RawFilterState {
  input: FamilyPolicy;
  forward: FamilyPolicy;
  /** Accept rules reachable from the input hook. */
  allowRules: AllowRule[];
  /** Whether any rule or non-accept policy is loaded. */
  rulesLoaded: boolean;
}

const STRICTNESS: Record<Exclude<Policy, null>, number> = { accept: 0, reject: 1, drop: 2 };

/** The stricter of two policies for chains a packet traverses in sequence (any drop drops). */
export function stricter(a: Policy, b: Policy): Policy {
  if (a === null) return b;
  if (b === null) return a;
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b;
}

/** The more permissive of two policies (for traffic that reaches one of several zones). */
export function looser(a: Policy, b: Policy): Policy {
  if (a === null || b === null) return null;
  return STRICTNESS[a] <= STRICTNESS[b] ? a : b;
}

/** Map a manager's policy word (DROP, deny, %%REJECT%%, allow, ACCEPT ...) to a Policy. */
export function policyWord(word: string | undefined): Policy {
  const w = (word ?? '').trim().replace(/^"|"$/g, '').replace(/%/g, '').toLowerCase();
  if (w === 'drop' || w === 'deny') return 'drop';
  if (w === 'reject') return 'reject';
  if (w === 'accept' || w === 'allow') return 'accept';
  return null;
}

const ANY_SOURCES = new Set(['any', 'anywhere', '0.0.0.0/0', '::/0', '0/0', '::0/0', '0.0.0.0', '::']);

/** Normalise a source: every "anywhere" spelling becomes "any". */
export function normaliseSource(text: string | undefined): string {
  const s = (text ?? '').trim().replace(/\s*\(v6\)$/i, '');
  return s === '' || ANY_SOURCES.has(s.toLowerCase()) ? 'any' : s;
}

/** Parse "22", "80,443", "5900:5999" or "5900-5999" into port ranges. Unparseable parts are dropped. */
export function parsePortList(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,5})(?:\s*[:-]\s*(\d{1,5}))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a >= 0 && b <= 65535 && a <= b) out.push([a, b]);
  }
  return out;
}

/** One AllowRule per port range, sharing the other fields. */
export function rulesForPorts(base: Omit<AllowRule, 'port' | 'portEnd'>, ranges: Array<[number, number]>): AllowRule[] {
  return ranges.map(([a, b]) => (a === b ? { ...base, port: a } : { ...base, port: a, portEnd: b }));
}

export function emptyRawState(): RawFilterState {
  return { input: { v4: null, v6: null }, forward: { v4: null, v6: null }, allowRules: [], rulesLoaded: false };
}
