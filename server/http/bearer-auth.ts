/**
 * @module Bearer-token authentication of the HTTP API and the role/agency checks routes use.
 * admin and soc read every agency; agency-viewer reads only its own. Only admin changes things.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { Agency, Store, User } from '../store/store.js';
import { hashToken } from '../tokens.js';

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
    req.user = user;
  };
}

export function requireUser(req: FastifyRequest): User {
  if (!req.user) throw new AppError('ERR_AUTH_MISSING', 'authentication required');
  return req.user;
}

export function assertCanRead(user: User, agency: Pick<Agency, 'id' | 'name'>): void {
  if (user.role === 'agency-viewer' && user.agencyId !== agency.id) {
    throw new AppError('ERR_AUTH_FORBIDDEN', `user ${user.name} may not read agency ${agency.name}`);
  }
}

export function assertAdmin(user: User): void {
  if (user.role !== 'admin') throw new AppError('ERR_AUTH_FORBIDDEN', `user ${user.name} (${user.role}) may not change the collector`);
}
