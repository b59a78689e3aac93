import { defineConfig } from 'tsup';

// Two builds, cleaned together by `npm run build` before tsup runs:
// - the full `rampart` CLI (server code is loaded lazily, so `rampart scan` never pays for
//   fastify or SQLite at start-up);
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
    banner: { js: '#!/usr/bin/env node' },
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
