/**
 * @module Where the shipped rule packs live: the `rules/` folder beside the build or source.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The shipped rules directory (walks up from this module to the folder holding rules/directives.yaml). */
export function shippedRulesDir(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'rules');
    if (existsSync(path.join(candidate, 'directives.yaml'))) return (cached = candidate);
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the shipped rules/ directory next to the Rampart installation');
}

export function directivesFile(rulesDir = shippedRulesDir()): string {
  return path.join(rulesDir, 'directives.yaml');
}
