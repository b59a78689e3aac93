/**
 * @module OSCAL properties and the small value rules the schema imposes on them: one line, no
 * leading or trailing space, never empty; arrays never empty. Rampart's own names live in RAMPART_NS.
 */

/** The namespace of every Rampart-defined property name (a URN: Rampart claims no web domain). */
export const RAMPART_NS = 'urn:rampart:oscal';

export interface OscalProp {
  name: string;
  ns?: string;
  value: string;
  class?: string;
  remarks?: string;
}

/** OSCAL string values (props, names): whitespace runs become one space, ends trimmed, capped in length. */
export function oneLine(value: string, max = 2000): string {
  const s = value.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
}

/** A Rampart property, or nothing when the value is absent or blank. */
export function prop(name: string, value: string | number | boolean | undefined | null, options: { core?: boolean; class?: string; remarks?: string } = {}): OscalProp[] {
  if (value === undefined || value === null) return [];
  const v = oneLine(String(value));
  if (v === '') return [];
  return [{ name, ...(options.core ? {} : { ns: RAMPART_NS }), value: v, ...(options.class ? { class: options.class } : {}), ...(options.remarks ? { remarks: options.remarks } : {}) }];
}

/** `{ [key]: items }` when there are items, else `{}`: OSCAL arrays must hold at least one item. */
export function some<K extends string, T>(key: K, items: readonly T[] | undefined): { [P in K]?: T[] } {
  return items && items.length > 0 ? ({ [key]: [...items] } as { [P in K]: T[] }) : {};
}
