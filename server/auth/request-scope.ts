/**
 * @module Scope checks for HTTP routes: resolve an agency or host the caller names, answering a
 * forbidden one exactly like a nonexistent one (same code, status and message), so a viewer
 * learns nothing about other agencies — not even that a name exists.
 */
import { AppError } from '../../shared/errors.js';
import type { Agency, Agent, AgencyNode, Store, User } from '../store/store.js';
import { scopeFor, subtree, type Scope } from './scope.js';

export interface AgencyInScope {
  agency: Agency;
  /** The agency and its components (all visible to the caller, since scope is a subtree). */
  ids: number[];
  scope: Scope;
  tree: AgencyNode[];
}

export async function scopeOf(store: Store, user: User): Promise<{ scope: Scope; tree: AgencyNode[] }> {
  const tree = await store.agencyTree();
  return { scope: scopeFor(user, tree), tree };
}

export function agencyNotFound(ref: string): AppError {
  return new AppError('ERR_AGENCY_NOT_FOUND', `agency "${ref}" does not exist`);
}

export function hostNotFound(ref: string): AppError {
  return new AppError('ERR_NOT_FOUND', `host "${ref}" does not exist`);
}

/** The agency named `ref` if the user may see it; otherwise ERR_AGENCY_NOT_FOUND. */
export async function visibleAgency(store: Store, user: User, ref: string): Promise<AgencyInScope> {
  const found = await store.findAgency(ref);
  if (!found) throw agencyNotFound(ref);
  const { scope, tree } = await scopeOf(store, user);
  if (!scope.canSee(found.id)) throw agencyNotFound(ref);
  return { agency: found, ids: [...subtree(tree, found.id)], scope, tree };
}

/** The host (agent id or hostname) if the user may see its agency; otherwise ERR_NOT_FOUND. */
export async function visibleHost(store: Store, user: User, ref: string): Promise<Agent> {
  const agent = await store.findHost(ref);
  if (!agent) throw hostNotFound(ref);
  const { scope } = await scopeOf(store, user);
  if (!scope.canSee(agent.agencyId)) throw hostNotFound(ref);
  return agent;
}
