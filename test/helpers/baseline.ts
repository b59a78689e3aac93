/**
 * @module The shipped baseline pack, and a view of it restricted to one section's rules, so each
 * section's verdict table tests exactly its own rules.
 */
import type { CompiledPack } from '../../agent/rules/compiled.js';

export const BASELINE_PACK = 'rules/linux-network-baseline.yaml';

/** The same pack with only the rules in `ids` (throws when an id is not in the pack). */
export function onlyRules(pack: CompiledPack, ids: readonly string[]): CompiledPack {
  const wanted = new Set(ids);
  const rules = pack.rules.filter((r) => wanted.has(r.rule.id));
  const missing = [...wanted].filter((id) => !rules.some((r) => r.rule.id === id));
  if (missing.length > 0) throw new Error(`rules not in ${pack.ref.id}: ${missing.join(', ')}`);
  return { ...pack, rules };
}
