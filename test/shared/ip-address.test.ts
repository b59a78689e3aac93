import { describe, expect, it } from 'vitest';
import { formatAddress, inNetwork, isLoopback, isNetwork, isWildcard, parseAddress } from '../../shared/ip-address.js';

const roundTrip = (s: string) => formatAddress(parseAddress(s)!);

describe('IP address text', () => {
  it('prints IPv6 in RFC 5952 form', () => {
    expect(roundTrip('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(roundTrip('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(roundTrip('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(roundTrip('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(roundTrip('::')).toBe('::');
    expect(roundTrip('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(roundTrip('[fe80::1%eth0]')).toBe('fe80::1');
  });

  it('rejects what is not an address', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', 'host.example', '12345::']) expect(parseAddress(bad)).toBeUndefined();
  });

  it('knows loopback and wildcard addresses, IPv4-mapped ones included', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.53'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '::', '::2'].map(isLoopback)).toEqual([false, false, false]);
    expect(['0.0.0.0', '::', '::1'].map(isWildcard)).toEqual([true, true, false]);
  });

  it('tests CIDR membership, comparing IPv4-mapped addresses as IPv4', () => {
    expect(inNetwork('10.20.3.4', '10.20.0.0/16')).toBe(true);
    expect(inNetwork('10.21.0.1', '10.20.0.0/16')).toBe(false);
    expect(inNetwork('::ffff:10.20.0.9', '10.20.0.0/16')).toBe(true);
    expect(inNetwork('fd00:20::5', 'fd00:20::/32')).toBe(true);
    expect(inNetwork('10.0.0.1', '10.0.0.1')).toBe(true);
    expect(inNetwork('10.0.0.1', '::/0')).toBe(false);
    expect(inNetwork('10.0.0.1', '10.0.0.0/33')).toBe(false);
    expect(['10.0.0.0/8', '10.0.0.1', 'fd00::/8', '10.0.0.0/40', 'x/8', '10.0.0.0/8/1'].map(isNetwork)).toEqual([true, true, true, false, false, false]);
  });
});
