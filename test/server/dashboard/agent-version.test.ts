import { describe, expect, it } from 'vitest';
import { agentVersionCell, olderThan } from '../../../server/dashboard/client/agent-version.js';

describe('outdated agents', () => {
  it('compares versions numerically, part by part', () => {
    expect(olderThan('0.9.3', '0.10.0')).toBe(true);
    expect(olderThan('0.10.0', '0.9.3')).toBe(false);
    expect(olderThan('0.1.0', '0.1.0')).toBe(false);
    expect(olderThan('0.1', '0.1.1')).toBe(true);
    expect(olderThan('1.0.0-2', '1.0.0')).toBe(false);
  });

  it('marks an older agent as outdated in words, and escapes what the agent reported', () => {
    expect(agentVersionCell('0.0.9', '0.1.0').value).toContain('outdated (latest 0.1.0)');
    expect(agentVersionCell('0.1.0', '0.1.0').value).toBe('0.1.0');
    expect(agentVersionCell('<b>1</b>', '0.1.0').value).not.toContain('<b>');
    expect(agentVersionCell(null, '0.1.0').value).toContain('unknown');
  });
});
