/**
 * @module IP address text: parse and print IPv4/IPv6 (RFC 5952 compressed form), and test
 * membership in CIDR networks. Used by the agent (socket and firewall probes) and the collector.
 */

/** 4 bytes for IPv4, 16 for IPv6. */
export type AddressBytes = Uint8Array;

/** Bytes of an IPv4 or IPv6 address in text form, or undefined when it is not one. */
export function parseAddress(text: string): AddressBytes | undefined {
  const s = text.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (s.includes(':')) return parseV6(s);
  return parseV4(s);
}

function parseV4(s: string): AddressBytes | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(s: string): AddressBytes | undefined {
  let text = s;
  let tail: AddressBytes | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = parseV4(text.slice(lastColon + 1));
    if (!tail) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (const [i, g] of all.entries()) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Text form: dotted quad for IPv4; RFC 5952 for IPv6, with IPv4-mapped addresses as ::ffff:a.b.c.d. */
export function formatAddress(bytes: AddressBytes): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (isV4Mapped(bytes)) return `::ffff:${Array.from(bytes.subarray(12)).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of two or more zero groups becomes "::" (first one on a tie).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function isV4Mapped(b: AddressBytes): boolean {
  return b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, else the address itself. */
export function unmapV4(b: AddressBytes): AddressBytes {
  return isV4Mapped(b) ? b.slice(12) : b;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback. */
export function isLoopback(text: string): boolean {
  const b = parseAddress(text);
  if (!b) return false;
  const u = unmapV4(b);
  if (u.length === 4) return u[0] === 127;
  return u.subarray(0, 15).every((x) => x === 0) && u[15] === 1;
}

/** 0.0.0.0 or :: (every address of the host). */
export function isWildcard(text: string): boolean {
  const b = parseAddress(text);
  return b !== undefined && b.every((x) => x === 0);
}

/**
 * Whether `address` lies in `network` ("10.0.0.0/8", "fd00::/8", or a bare address meaning
 * that one address). IPv4-mapped IPv6 addresses are compared as IPv4. Invalid input: false.
 */
export function inNetwork(address: string, network: string): boolean {
  const [base, bitsText] = network.split('/');
  const a = parseAddress(address);
  const n = base === undefined ? undefined : parseAddress(base);
  if (!a || !n) return false;
  const ua = unmapV4(a);
  const un = unmapV4(n);
  if (ua.length !== un.length) return false;
  const max = un.length * 8;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return false;
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((ua[byte]! & mask) !== (un[byte]! & mask)) return false;
  }
  return true;
}

/** True when `text` is an address or a CIDR network this module understands. */
export function isNetwork(text: string): boolean {
  const [base, bits, extra] = text.split('/');
  if (extra !== undefined || base === undefined) return false;
  const b = parseAddress(base);
  if (!b) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= unmapV4(b).length * 8;
}
