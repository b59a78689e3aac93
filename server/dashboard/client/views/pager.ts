/**
 * @module Pagination controls for server-side paged lists.
 */
import { html, type Safe } from '../dom.js';

export function pager(id: string, page: { total: number; limit: number; offset: number; nextOffset: number | null }): Safe {
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = Math.min(page.offset + page.limit, page.total);
  return html`<div class="pager" data-pager="${id}">
    <button type="button" class="secondary" data-offset="${Math.max(0, page.offset - page.limit)}" ${page.offset === 0 ? 'disabled' : ''}>‹ Previous</button>
    <span>${from}–${to} of ${page.total}</span>
    <button type="button" class="secondary" data-offset="${page.nextOffset ?? ''}" ${page.nextOffset === null ? 'disabled' : ''}>Next ›</button>
  </div>`;
}

/** Wire pager buttons so a click sets `<id>Offset` in the route. */
export function wirePagers(root: HTMLElement, go: (param: string, offset: string) => void): void {
  root.querySelectorAll<HTMLElement>('[data-pager]').forEach((el) => {
    el.querySelectorAll<HTMLButtonElement>('button[data-offset]').forEach((b) =>
      b.addEventListener('click', () => go(`${el.dataset.pager}Offset`, b.dataset.offset ?? '0')),
    );
  });
}
