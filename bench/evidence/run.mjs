// Bundle bench/evidence/run.ts with esbuild (shipped with tsup) and run it.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Inside node_modules/.cache so the bundle resolves the repository's packages.
const cacheDir = path.join(here, '../../node_modules/.cache/rampart-bench');
mkdirSync(cacheDir, { recursive: true });
const out = path.join(cacheDir, 'evidence.mjs');
await build({ entryPoints: [path.join(here, 'run.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: out, logLevel: 'warning' });
await import(pathToFileURL(out).href);
