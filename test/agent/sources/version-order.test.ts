import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../../agent/sources/version-order.js';

describe('compareVersions', () => {
  it.each([
    ['1.2.0', '1.3.0', -1],
    ['1.3.0', '1.3', 0],
    ['1.10.0', '1.9.9', 1],
    ['1.17.3-1', '1.17.8', -1],
    ['1.17.8-1', '1.17.8', 0],
    ['1:9.2p1-2', '9.2', 1],
    ['1:9.2p1-2', '9.3', -1],
    ['2.6.0rc1', '2.6.0', -1],
    ['2.6.0.dev20250101', '2.6.0', -1],
    ['2.6.0.post1', '2.6.0', 1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['v0.17.2', '0.17.1', 1],
    ['24.08', '25.07', -1],
    ['2.5.1+cu121', '2.6.0', -1],
  ])('orders %s against %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b)!)).toBe(sign);
  });

  it('returns undefined for text that is not a version', () => {
    expect(compareVersions('latest', '1.0')).toBeUndefined();
  });
});
