// Regenerate docs/screenshots/*.png from a collector with realistic demo data:
// npm run build && node bench/dashboard/screenshots.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
process.argv.splice(2, 0, 'screenshots.ts');
await import(path.join(path.dirname(fileURLToPath(import.meta.url)), 'run-ts.mjs'));
