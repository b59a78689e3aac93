/**
 * @module The AI inventory section of the table output: one line per AI service (version, state,
 * bind addresses, exposure, authentication) and the model directories found.
 */
import type { AiInventory } from '../../shared/inventory.js';

export function renderAiInventory(inv: AiInventory, bold: (s: string) => string = (s) => s): string[] {
  if (inv.services.length === 0 && inv.modelDirectories.length === 0) return [];
  const out: string[] = [];
  out.push('');
  out.push(bold(`AI inventory (${inv.services.length} service${inv.services.length === 1 ? '' : 's'}, ${inv.modelDirectories.length} model director${inv.modelDirectories.length === 1 ? 'y' : 'ies'}; KEV catalog ${inv.kevCatalog ?? 'not loaded'})`));
  for (const s of inv.services) {
    const version = s.versions.find((v) => v.version !== null)?.version ?? '-';
    const state = s.running === true ? 'running' : s.running === false ? 'installed' : 'installed (no process table)';
    const auth = s.authEnabled === true ? 'auth on' : s.authEnabled === false ? 'NO AUTH' : 'auth unknown';
    const bind = s.bindAddresses.length > 0 ? s.bindAddresses.join(', ') : '-';
    out.push(`  ${s.id.padEnd(24)} ${version.padEnd(10)} ${state.padEnd(9)} ${s.exposed ? 'EXPOSED ' : 'local   '} ${auth.padEnd(12)} ${bind}`);
  }
  if (inv.modelDirectories.length > 0) out.push(`  model directories: ${inv.modelDirectories.map((d) => `${d.path} (${d.kind})`).join(', ')}`);
  return out;
}
