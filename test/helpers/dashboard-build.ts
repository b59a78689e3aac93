/**
 * @module Build the dashboard's browser bundle the way tsup's second config does (esbuild,
 * ESM, es2022, minified) plus its public files, into a private directory — so tests and
 * benchmarks never race a teammate's `npm run build` that cleans dist/.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The repository root: the first directory above this module (or its bundle) holding the client. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'server/dashboard/client/main.ts'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}
const REPO = repoRoot();

export async function buildDashboard(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(REPO, 'server/dashboard/client/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outfile: path.join(outDir, 'app.js'),
    logLevel: 'silent',
  });
  const pub = path.join(REPO, 'server/dashboard/public');
  for (const f of readdirSync(pub)) copyFileSync(path.join(pub, f), path.join(outDir, f));
  return outDir;
}
