import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'tsup';
import { buildScanWorkerBundle, zodEnglishOnly } from './scripts/scan-worker-bundle.mjs';

/**
 * Digest of everything that decides how a pack validates and compiles (sources, dependency
 * versions): the validated-pack cache (agent/rules/pack-cache.ts) never reuses another build's entries.
 */
function buildId(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) hash.update(p).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  ['bin', 'agent', 'shared'].forEach(walk);
  for (const f of ['package.json', 'node_modules/zod/package.json', 'node_modules/yaml/package.json']) hash.update(readFileSync(f));
  return hash.digest('hex').slice(0, 32);
}

const BUILD_ID = buildId();

// Two builds, cleaned together by `npm run build` before tsup runs:
// - the full `rampart` CLI (server code is loaded lazily, so `rampart scan` never pays for
//   fastify or SQLite at start-up), and beside it dist/scan-worker.cjs and scan-worker-boot.cjs,
//   what the agent's scan processes run (scripts/scan-worker-bundle.mjs);
// - the dashboard's browser bundle and static assets, served by the collector (no CDN, so it
//   works air-gapped).
export default defineConfig([
  {
    entry: { rampart: 'bin/rampart.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: true,
    sourcemap: true,
    clean: false,
    outDir: 'dist',
    // zod and yaml are bundled: resolving and loading their ~200 module files cost more start-up
    // time than compiling them as part of our chunks (docs/PERFORMANCE.md, "Host scan").
    noExternal: ['zod', 'yaml'],
    esbuildPlugins: [zodEnglishOnly(path.resolve('.'))],
    define: { __RAMPART_BUILD_ID__: JSON.stringify(BUILD_ID) },
    // yaml is CommonJS and requires node built-ins; bundled CJS needs a real `require` in ESM.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __rampartCreateRequire } from 'node:module'; const require = __rampartCreateRequire(import.meta.url);" },
    onSuccess: async () => {
      await buildScanWorkerBundle({ repo: path.resolve('.'), outDir: path.resolve('dist'), buildId: BUILD_ID });
    },
  },
  {
    entry: { app: 'server/dashboard/client/main.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    splitting: false,
    sourcemap: true,
    minify: true,
    clean: false,
    outDir: 'dist/dashboard',
    publicDir: 'server/dashboard/public',
  },
]);
