/**
 * @module The optional inventory section of a scan report. Collected only when asked (`--inventory`)
 * or when a pack that inventories runs (the ai-workloads pack), and then from the same memoised
 * sources the rules already read, so it adds almost nothing to a scan.
 */
import type { Inventory } from '../../shared/inventory.js';
import type { CompiledPack } from '../rules/compiled.js';
import type { ScanContext } from './context.js';

/** Packs whose presence turns the AI inventory on. */
export const AI_INVENTORY_PACKS = new Set(['ai-workloads']);

export type InventoryMode = boolean | 'auto';

export async function collectInventory(ctx: ScanContext, packs: readonly CompiledPack[], mode: InventoryMode = 'auto'): Promise<Inventory | undefined> {
  const wanted = mode === true || (mode === 'auto' && packs.some((p) => AI_INVENTORY_PACKS.has(p.ref.id)));
  if (!wanted) return undefined;
  const { readAiInventory } = await import('../sources/ai-inventory.js');
  return { ai: await readAiInventory(ctx) };
}
