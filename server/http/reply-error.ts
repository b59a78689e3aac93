/**
 * @module One error shape for every HTTP answer: {error: {code, message}} with the code's status.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 404) return new AppError('ERR_NOT_FOUND', fe.message);
    return new AppError('ERR_API_INVALID_REQUEST', fe.message ?? 'invalid request');
  }
  return new AppError('ERR_INTERNAL', 'the collector hit an unexpected error', { cause: err });
}

export function makeErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply): void => {
    const appErr = toAppError(err);
    const status = appErr.status ?? 500;
    if (status >= 500) log.error({ err, url: req.url }, 'request failed');
    void reply.status(status).send({ error: { code: appErr.code, message: appErr.message } });
  };
}
