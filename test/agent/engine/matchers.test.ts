import { describe, expect, it } from 'vitest';
import { describeMatcher, matches } from '../../../agent/engine/matchers.js';

describe('matches', () => {
  it('compares numbers and numeric strings as numbers', () => {
    expect(matches('0', { eq: 0 })).toBe(true);
    expect(matches(1, { eq: '1' })).toBe(true);
    expect(matches('', { eq: 0 })).toBe(false);
    expect(matches('yes', { eq: true })).toBe(false);
  });

  it('fails numeric comparisons on missing or non-numeric values', () => {
    expect(matches(undefined, { lte: 4 })).toBe(false);
    expect(matches('abc', { gte: 1 })).toBe(false);
    expect(matches('4', { lte: 4, gt: 0 })).toBe(true);
  });

  it('treats a missing value as null for eq and exists', () => {
    expect(matches(undefined, { exists: false })).toBe(true);
    expect(matches(null, { exists: true })).toBe(false);
    expect(matches(undefined, { eq: null })).toBe(true);
    expect(matches(undefined, { eq: 0 })).toBe(false);
  });

  it('applies list operators and refuses them on non-lists with ERR_EXPECT_TYPE', () => {
    const list = ['aes256-ctr', 'aes128-gcm@openssh.com'];
    expect(matches(list, { subsetOf: ['aes256-ctr', 'aes128-gcm@openssh.com', 'aes128-ctr'] })).toBe(true);
    expect(matches(list, { disjointFrom: ['3des-cbc'] })).toBe(true);
    expect(matches(list, { containsAll: ['aes256-ctr', 'chacha20-poly1305@openssh.com'] })).toBe(false);
    expect(matches([], { every: { eq: 1 } })).toBe(true);
    expect(matches([], { every: { eq: 1 }, empty: false })).toBe(false);
    expect(matches([1, 2, 3], { count: { gte: 2 } })).toBe(true);
    expect(() => matches('x', { contains: 'x' }, 'ciphers')).toThrow(expect.objectContaining({ code: 'ERR_EXPECT_TYPE' }));
  });

  it('matches fields of list elements', () => {
    const listeners = [
      { port: 22, loopback: false },
      { port: 5432, loopback: true },
    ];
    expect(matches(listeners, { none: { fields: { port: { in: [23, 21] }, loopback: { eq: false } } } })).toBe(true);
    expect(matches(listeners, { some: { fields: { port: { eq: 22 }, loopback: { eq: false } } } })).toBe(true);
  });

  it('tests regular expressions on the value as text', () => {
    expect(matches('VERBOSE', { match: '^(VERBOSE|INFO)$' })).toBe(true);
    expect(matches(undefined, { match: '.*' })).toBe(false);
    expect(matches(undefined, { notMatch: 'x' })).toBe(true);
  });
});

describe('describeMatcher', () => {
  it('says what is expected in words', () => {
    expect(describeMatcher({ eq: 0 })).toBe('== 0');
    expect(describeMatcher({ in: [1, 2] })).toBe('one of [1, 2]');
    expect(describeMatcher({ gt: 0, lte: 4 })).toBe('> 0 and <= 4');
    expect(describeMatcher({ none: { fields: { port: { eq: 23 } } } })).toBe('no item { port == 23 }');
  });
});
