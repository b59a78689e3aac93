/**
 * @module Parse request bodies, params and queries with zod at the HTTP edge (coded 400 errors),
 * and the pagination parameters every list route shares.
 */
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { Page } from '../store/store.js';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` ${issue.path.join('.')}` : '';
    throw new AppError('ERR_API_INVALID_REQUEST', `invalid ${what}${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as z.infer<S>;
}

export const MAX_PAGE_LIMIT = 1000;

/** `limit` (1..1000, default 100) and `offset` (or `cursor`, the `nextOffset` of the previous page). */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(100),
  offset: z.coerce.number().int().min(0).optional(),
  cursor: z.coerce.number().int().min(0).optional(),
});

export function pageOf(q: z.infer<typeof PageQuerySchema>): Page {
  return { limit: q.limit, offset: q.offset ?? q.cursor ?? 0 };
}
