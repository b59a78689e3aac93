/**
 * @module A real scan-process entry for tests that run the daemon or the watchdog in-process:
 * bin/rampart-agent.ts bundled with esbuild into a private directory, with the scan-worker bundle
 * (scan-worker.cjs, run with its V8 code cache as in every build) and the shipped rules/ beside it,
 * where agent/rules/paths.ts looks, so `agent scan-worker` runs the code under test.
 * No build id is defined, so the validated-pack cache stays off, as for every test from sources.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WORKER_BOOT, type WorkerCommand } from '../../../agent/watchdog/scan-process.js';
import { buildScanWorkerBundle } from '../../../scripts/scan-worker-bundle.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface WorkerEntry {
  command: WorkerCommand;
  dispose(): void;
}

export async function buildWorkerEntry(): Promise<WorkerEntry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rampart-worker-entry-'));
  const entry = path.join(dir, 'rampart-agent.mjs');
  await build({
    absWorkingDir: REPO,
    entryPoints: [path.join(REPO, 'bin/rampart-agent.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: entry,
    logLevel: 'silent',
    // yaml is CommonJS and requires node built-ins; bundled CJS needs a real `require` in ESM.
    banner: { js: "import { createRequire as __rampartCreateRequire } from 'node:module'; const require = __rampartCreateRequire(import.meta.url);" },
  });
  await buildScanWorkerBundle({ repo: REPO, outDir: dir });
  symlinkSync(path.join(REPO, 'rules'), path.join(dir, 'rules'));
  // As the daemon starts its scan processes (ownWorkerCommand): the boot script beside the entry.
  return { command: { execPath: process.execPath, entry: path.join(dir, WORKER_BOOT) }, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
