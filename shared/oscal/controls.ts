/**
 * @module NIST SP 800-53 ids as rules cite them (`SC-7`, `AC-17(2)`, `IA-5(1)(a)`) turned into the
 * identifiers of the NIST OSCAL catalog (`sc-7`, `ac-17.2`, statement `ia-5.1_smt.a`, objective `sc-7_obj`).
 */

export interface ControlRef {
  /** As the rule cites it, e.g. `AC-17(2)`. */
  cited: string;
  /** OSCAL catalog control id, e.g. `ac-17.2`. */
  controlId: string;
  /** A statement item the citation names (the `a` of `IA-5(1)(a)`), if any. */
  item?: string;
  /** What a finding targets: the control objective, or the named statement item. */
  targetType: 'objective-id' | 'statement-id';
  targetId: string;
}

const NIST_ID = /^([A-Z]{2})-(\d+)((?:\(\d+\))*)(?:\(([a-z])\))?$/;

/** The OSCAL identifiers of a cited control; undefined when the citation is not a NIST 800-53 id. */
export function controlRef(cited: string): ControlRef | undefined {
  const m = NIST_ID.exec(cited.trim());
  if (!m) return undefined;
  const [, family, number, enhancements, item] = m;
  const enh = [...(enhancements ?? '').matchAll(/\((\d+)\)/g)].map((e) => String(Number(e[1])));
  const controlId = [`${family!.toLowerCase()}-${Number(number)}`, ...enh].join('.');
  return item
    ? { cited, controlId, item, targetType: 'statement-id', targetId: `${controlId}_smt.${item}` }
    : { cited, controlId, targetType: 'objective-id', targetId: `${controlId}_obj` };
}

/** Catalog order: family, then control number, then enhancement, then statement item. */
export function compareControlRefs(a: ControlRef, b: ControlRef): number {
  const key = (r: ControlRef) => {
    const [family = '', rest = ''] = r.controlId.split('-');
    return { family, nums: rest.split('.').map(Number), item: r.item ?? '' };
  };
  const ka = key(a);
  const kb = key(b);
  if (ka.family !== kb.family) return ka.family < kb.family ? -1 : 1;
  for (let i = 0; i < Math.max(ka.nums.length, kb.nums.length); i++) {
    const d = (ka.nums[i] ?? -1) - (kb.nums[i] ?? -1);
    if (d !== 0) return d;
  }
  return ka.item < kb.item ? -1 : ka.item > kb.item ? 1 : 0;
}
