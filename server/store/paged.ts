/**
 * @module One page of a list, as both stores return it.
 */
import type { Page, Paged } from './store.js';

export function paged<T>(items: T[], total: number, page: Page): Paged<T> {
  const next = page.offset + items.length;
  return { items, total, limit: page.limit, offset: page.offset, nextOffset: next < total ? next : null };
}
