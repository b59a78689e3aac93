/**
 * @module Ordering strings the same way on every host: by UTF-16 code unit, never by locale.
 * `localeCompare` asks ICU for a collator, which loads several MB of collation data and costs a
 * scan process ~8 ms the first time (docs/PERFORMANCE.md), and its order depends on the locale;
 * evidence must not.
 */

/** Comparator for Array.prototype.sort: code-unit order, the same on every machine. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
