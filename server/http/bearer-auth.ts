/**
 * @module Bearer-token authentication of the HTTP API and the role/agency checks routes use.
 * admin and soc read every agency; agency-viewer reads its own and its components. Only admin changes things.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { Agency, Store, User } from '../store/store.js';
import { hashToken } from '../tokens.js';
import { scopeFor, type Scope } from '../auth/scope.js';

/** The authenticated user with the agencies it may read (server/auth/scope.ts), computed per request. */
export interface ScopedUser extends User {
  scope: Scope;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
}

export function bearerAuth(store: Store) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    if (!header) throw new AppError('ERR_AUTH_MISSING', 'send Authorization: Bearer <token>');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new AppError('ERR_AUTH_MISSING', 'the Authorization header is not a bearer token');
    const user = await store.findUserByTokenHash(hashToken(m[1]!));
    if (!user) throw new AppError('ERR_AUTH_TOKEN', 'the bearer token is unknown or expired');
    const scoped: ScopedUser = { ...user, scope: scopeFor(user, await store.agencyTree()) };
    req.user = scoped;
  };
}

export function requireUser(req: FastifyRequest): User {
  if (!req.user) throw new AppError('ERR_AUTH_MISSING', 'authentication required');
  return req.user;
}

/**
 * Refuse reading an agency outside the user's scope (a viewer reads its agency and its
 * components). The refusal is the caller's not-found error (default: ERR_AGENCY_NOT_FOUND for
 * that name), so a forbidden resource answers exactly like a nonexistent one.
 */
export function assertCanRead(user: User, agency: Pick<Agency, 'id' | 'name'>, notFound?: () => AppError): void {
  const scope = (user as Partial<ScopedUser>).scope;
  const allowed = scope ? scope.canSee(agency.id) : user.role !== 'agency-viewer' || user.agencyId === agency.id;
  if (!allowed) throw notFound ? notFound() : new AppError('ERR_AGENCY_NOT_FOUND', `agency "${agency.name}" does not exist`);
}

export function assertAdmin(user: User): void {
  if (user.role !== 'admin') throw new AppError('ERR_AUTH_FORBIDDEN', `user ${user.name} (${user.role}) may not change the collector`);
}
