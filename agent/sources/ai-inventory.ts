/**
 * @module The AI inventory of one host: every AI service installed or running (with versions,
 * bind addresses and authentication state) and every model store on disk. Built once per scan
 * from the same memoised sources the ai-workloads rules use, so adding it to a report costs
 * almost nothing when that pack ran.
 */
import type { ScanContext } from '../engine/context.js';
import type { AiInventory } from '../../shared/inventory.js';
import { AI_SIGNATURES } from './ai-signatures.js';
import { readAiService } from './ai-services.js';
import { readServiceConfig } from './ai-service-config.js';
import { DEFAULT_MODEL_DIRS, findModelRoots } from './ai-model-stores.js';
import { readKev } from './kev-catalog.js';

export function readAiInventory(ctx: ScanContext, extraModelDirs: readonly string[] = DEFAULT_MODEL_DIRS): Promise<AiInventory> {
  return ctx.memo(`source:ai-inventory:${extraModelDirs.join('|')}`, async () => {
    const services: AiInventory['services'] = [];
    for (const sig of AI_SIGNATURES) {
      const s = await readAiService(ctx, sig.id);
      if (!s || (!s.installed && !s.running)) continue;
      const cfg = await readServiceConfig(ctx, s);
      services.push({
        id: sig.id,
        name: sig.name,
        category: sig.category,
        installed: s.installed,
        running: s.running,
        versions: s.versions,
        bindAddresses: [...new Set(s.listeners.map((l) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`))],
        exposed: s.listeners.some((l) => !l.loopback),
        authEnabled: cfg.authEnabled,
        pids: s.processes.map((p) => p.pid),
      });
    }
    const roots = await findModelRoots(ctx, extraModelDirs);
    // The KEV catalog is only worth parsing when there is AI software to compare with it.
    const kev = services.length > 0 ? await readKev(ctx) : undefined;
    return {
      services,
      modelDirectories: roots.map((r) => ({ path: r.path, kind: r.kind })),
      kevCatalog: kev?.status === 'loaded' ? kev.catalog.catalogVersion : null,
    };
  });
}
