import { describe, expect, it } from 'vitest';
import { scopeFor, subtree } from '../../server/auth/scope.js';

// DHS with two components (CISA, FEMA); CISA has a sub-component; DOE is unrelated.
const agencies = [
  { id: 1, parentId: null },
  { id: 2, parentId: 1 },
  { id: 3, parentId: 1 },
  { id: 4, parentId: 2 },
  { id: 5, parentId: null },
];

describe('scopeFor', () => {
  it('lets admin and soc see every agency', () => {
    for (const role of ['admin', 'soc'] as const) {
      const s = scopeFor({ role, agencyId: null }, agencies);
      expect(s.all).toBe(true);
      expect([1, 2, 3, 4, 5].every((id) => s.canSee(id))).toBe(true);
    }
  });

  it('lets an agency viewer see the agency and its components only', () => {
    const s = scopeFor({ role: 'agency-viewer', agencyId: 1 }, agencies);
    expect([...s.agencyIds].sort()).toEqual([1, 2, 3, 4]);
    expect(s.canSee(5)).toBe(false);
  });

  it('lets a component viewer see only that component and below, not its parent or siblings', () => {
    const s = scopeFor({ role: 'agency-viewer', agencyId: 2 }, agencies);
    expect([...s.agencyIds].sort()).toEqual([2, 4]);
    expect(s.canSee(1)).toBe(false);
    expect(s.canSee(3)).toBe(false);
  });

  it('gives a viewer without an agency nothing', () => {
    expect(scopeFor({ role: 'agency-viewer', agencyId: null }, agencies).agencyIds.size).toBe(0);
  });

  it('survives a cycle in the agency tree', () => {
    expect([...subtree([{ id: 1, parentId: 2 }, { id: 2, parentId: 1 }], 1)].sort()).toEqual([1, 2]);
  });
});
