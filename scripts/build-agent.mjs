#!/usr/bin/env node
/**
 * @module Build the self-contained agent (docs/install.md, "What gets installed"):
 *   dist/agent/rampart-agent.mjs   ONE ES module bundling bin/rampart-agent.ts and every JS
 *                                  dependency; runs with the host's Node.js 20+, no node_modules.
 *   dist/agent/scan-worker.cjs     what the agent's scan processes run, and scan-worker-boot.cjs,
 *                                  the script they start (scripts/scan-worker-bundle.mjs)
 *   dist/agent/rules/              the shipped rule packs and directives, found beside the bundle
 *                                  (agent/rules/paths.ts walks up from the running file).
 *   --sea also:
 *   dist/agent/rampart-agent.cjs   the same bundle as CommonJS (what Node 20's SEA can run)
 *   dist/agent/rampart-agent       a Node.js single executable application for linux-x64: a copy of
 *                                  the node binary running this machine, with the bundle injected by
 *                                  postject (scan-worker.cjs as its asset). Needs no Node.js on the host.
 * The build fails if a native addon or a collector-only package (better-sqlite3, pg, fastify)
 * reaches the agent's bundle.
 * Usage: node scripts/build-agent.mjs [--sea] [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { buildScanWorkerBundle, noNative, noOptionalNative, zodEnglishOnly } from './scan-worker-bundle.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({ options: { sea: { type: 'boolean', default: false }, out: { type: 'string' } } });
const OUT = path.resolve(opts.out ?? path.join(REPO, 'dist/agent'));
/** Packages that must never be part of the agent: native addons and the collector's stack. */
const FORBIDDEN = /node_modules[\\/](better-sqlite3|pg|pg-[a-z-]+|fastify|@fastify[\\/][^\\/]+|bindings|prebuild-install)[\\/]/;

/** Same digest as tsup.config.ts: the validated-pack cache never reuses another build's entries. */
function buildId() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) hash.update(p).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  ['bin', 'agent', 'shared'].forEach((d) => walk(path.join(REPO, d)));
  for (const f of ['package.json', 'node_modules/zod/package.json', 'node_modules/yaml/package.json']) hash.update(readFileSync(path.join(REPO, f)));
  return hash.digest('hex').slice(0, 32);
}

const common = {
  absWorkingDir: REPO,
  entryPoints: [path.join(REPO, 'bin/rampart-agent.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  splitting: false,
  minify: true,
  keepNames: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [zodEnglishOnly(REPO), noNative, noOptionalNative],
};

function checkInputs(metafile, what) {
  const bad = Object.keys(metafile.inputs).filter((p) => FORBIDDEN.test(p) || /(^|[\\/])server[\\/]/.test(p.replace(/^.*node_modules.*$/, '')));
  if (bad.length > 0) throw new Error(`${what}: the agent bundle must not contain ${bad.slice(0, 5).join(', ')}`);
}

function copyRules() {
  const dest = path.join(OUT, 'rules');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(path.join(REPO, 'rules'))) {
    if (f.endsWith('.yaml') || f.endsWith('.yml')) copyFileSync(path.join(REPO, 'rules', f), path.join(dest, f));
  }
}

const BUILD_ID = buildId();
const define = { __RAMPART_BUILD_ID__: JSON.stringify(BUILD_ID), 'process.env.NODE_ENV': '"production"' };
mkdirSync(OUT, { recursive: true });

const esm = await build({
  ...common,
  format: 'esm',
  outfile: path.join(OUT, 'rampart-agent.mjs'),
  define,
  // yaml is CommonJS and requires node built-ins; bundled CJS needs a real `require` in ESM.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __rampartCreateRequire } from 'node:module'; const require = __rampartCreateRequire(import.meta.url);" },
});
checkInputs(esm.metafile, 'rampart-agent.mjs');
// What the agent's scan processes run, with their V8 code cache (agent/worker/boot.ts); beside the
// .mjs, and inside the single executable as an asset.
const workerBundle = path.join(OUT, 'scan-worker.cjs');
for (const m of await buildScanWorkerBundle({ repo: REPO, outDir: OUT, buildId: BUILD_ID })) checkInputs(m, 'scan-worker.cjs');
chmodSync(path.join(OUT, 'rampart-agent.mjs'), 0o755);
copyRules();
writeFileSync(path.join(OUT, 'meta.json'), JSON.stringify({ inputs: Object.keys(esm.metafile.inputs).length, bytes: statSync(path.join(OUT, 'rampart-agent.mjs')).size }, null, 2) + '\n');
process.stderr.write(`built ${path.relative(REPO, path.join(OUT, 'rampart-agent.mjs'))} (${statSync(path.join(OUT, 'rampart-agent.mjs')).size} bytes) and rules/\n`);

if (opts.sea) {
  // Node 20's SEA runs one CommonJS script. import.meta.url becomes the executable's own path, so
  // the rules/ folder beside the executable is found the same way as beside the .mjs.
  const cjs = await build({
    ...common,
    format: 'cjs',
    outfile: path.join(OUT, 'rampart-agent.cjs'),
    define: { ...define, 'import.meta.url': '__rampartImportMetaUrl' },
    banner: { js: "const __rampartImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  checkInputs(cjs.metafile, 'rampart-agent.cjs');
  const seaConfig = path.join(OUT, 'sea-config.json');
  const blob = path.join(OUT, 'sea-prep.blob');
  writeFileSync(seaConfig, JSON.stringify({ main: path.join(OUT, 'rampart-agent.cjs'), output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { 'scan-worker.cjs': workerBundle } }, null, 2));
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
  };
  run(process.execPath, ['--experimental-sea-config', seaConfig]);
  const exe = path.join(OUT, 'rampart-agent');
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  run(process.execPath, [path.join(REPO, 'node_modules/postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2']);
  rmSync(blob, { force: true });
  rmSync(seaConfig, { force: true });
  process.stderr.write(`built ${path.relative(REPO, exe)} (${statSync(exe).size} bytes; node ${process.version} linux-${process.arch})\n`);
}
