// Bundle a bench/dashboard TypeScript entry with esbuild (shipped with tsup) and run it:
// node bench/dashboard/run-ts.mjs screenshots.ts|bench.ts [args...]
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = process.argv[2];
if (!entry) throw new Error('usage: node bench/dashboard/run-ts.mjs ENTRY.ts [args]');
// Inside node_modules/.cache so the bundle resolves the repository's packages.
const cacheDir = path.join(here, '../../node_modules/.cache/rampart-bench');
mkdirSync(cacheDir, { recursive: true });
const out = path.join(cacheDir, `dashboard-${path.basename(entry, '.ts')}.mjs`);
await build({ entryPoints: [path.join(here, entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: out, logLevel: 'warning' });
process.argv.splice(2, 1);
await import(pathToFileURL(out).href);
