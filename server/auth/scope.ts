/**
 * @module Which agencies a user may see. `admin` and `soc` see every agency; an
 * `agency-viewer` sees their own agency and its components (descendants), never a parent or
 * a sibling. Every HTTP route and live subscription asks this one module.
 */
import type { Agency, User } from '../store/store.js';

export interface Scope {
  /** True for roles that read every agency. */
  readonly all: boolean;
  /** Agency ids visible to the user (every id when `all`). */
  readonly agencyIds: ReadonlySet<number>;
  canSee(agencyId: number): boolean;
}

/** Descendants of `rootId` (inclusive) in the agency tree. */
export function subtree(agencies: readonly Pick<Agency, 'id' | 'parentId'>[], rootId: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const a of agencies) {
    if (a.parentId === null) continue;
    const list = children.get(a.parentId) ?? [];
    list.push(a.id);
    children.set(a.parentId, list);
  }
  const out = new Set<number>();
  const stack = [rootId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (out.has(id)) continue; // guards against a cycle in bad data
    out.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

export function scopeFor(user: Pick<User, 'role' | 'agencyId'>, agencies: readonly Pick<Agency, 'id' | 'parentId'>[]): Scope {
  if (user.role === 'admin' || user.role === 'soc') {
    const ids = new Set(agencies.map((a) => a.id));
    return { all: true, agencyIds: ids, canSee: () => true };
  }
  const ids = user.agencyId === null ? new Set<number>() : subtree(agencies, user.agencyId);
  return { all: false, agencyIds: ids, canSee: (id) => ids.has(id) };
}
