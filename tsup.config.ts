import { defineConfig } from 'tsup';

// One build: the full `rampart` CLI (server code is loaded lazily, so `rampart scan`
// never pays for fastify or SQLite at start-up).
export default defineConfig({
  entry: { rampart: 'bin/rampart.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  splitting: true,
  sourcemap: true,
  clean: true,
  outDir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});
