/**
 * @module The esbuild pieces every build of Rampart shares (tsup.config.ts, scripts/build-agent.mjs,
 * the tests' worker entry), and the scan-worker bundle they all build: scan-worker.cjs, ONE minified
 * CommonJS file with every JS dependency inlined, which a scan process compiles with its V8 code
 * cache (agent/worker/boot.ts), and the small script that does that, scan-worker-boot.cjs. CommonJS because vm.Script (the only code cache Node 20 offers) runs
 * scripts, not ES modules.
 */
import path from 'node:path';
import { build } from 'esbuild';

/**
 * zod's namespace re-exports all ~60 message locales (~280 KB parsed at every start); Rampart only
 * uses the English messages zod configures by default, so `z.locales` is bundled with `en` alone.
 * Saves ~10 ms CPU and ~3 MB RSS per `rampart scan`.
 */
export function zodEnglishOnly(repo) {
  return {
    name: 'zod-english-locale-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: 'zod-locales-en', namespace: 'rampart-zod-locales' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'rampart-zod-locales' }, () => ({
        contents: `export { default as en } from ${JSON.stringify(path.join(repo, 'node_modules/zod/v4/locales/en.js'))};`,
        loader: 'js',
        resolveDir: path.join(repo, 'node_modules/zod'),
      }));
    },
  };
}

/** Refuse native addons (*.node), whatever imports them: the agent runs on hosts without a compiler. */
export const noNative = {
  name: 'no-native-addons',
  setup(b) {
    b.onLoad({ filter: /\.node$/ }, (args) => ({ errors: [{ text: `native addon in the agent bundle: ${args.path}` }] }));
  },
};

/**
 * ws tries require('bufferutil') / require('utf-8-validate') (optional native speed-ups) inside
 * try/catch. Bundled, they become modules that throw "not found" at once, so ws falls back to its
 * JS code and nothing looks on disk (in a SEA such a require would also print a warning).
 */
export const noOptionalNative = {
  name: 'no-optional-native',
  setup(b) {
    b.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({ path: args.path, namespace: 'rampart-absent' }));
    b.onLoad({ filter: /.*/, namespace: 'rampart-absent' }, (args) => ({
      contents: `throw Object.assign(new Error('Cannot find module ' + ${JSON.stringify(args.path)} + ' (not bundled)'), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/**
 * Build scan-worker.cjs and scan-worker-boot.cjs (the script a node-run scan process starts:
 * agent/worker/boot-entry.ts) into `outDir`. `buildId` is the validated-pack cache's build digest
 * (none: that cache stays off, as for code run from sources). Resolves with esbuild's metafiles.
 */
export async function buildScanWorkerBundle({ repo, outDir, buildId }) {
  const one = async (entry, outfile) => {
    const result = await build({
      absWorkingDir: repo,
      entryPoints: [path.join(repo, entry)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      splitting: false,
      minify: true,
      legalComments: 'none',
      metafile: true,
      logLevel: 'warning',
      outfile: path.join(outDir, outfile),
      plugins: [zodEnglishOnly(repo), noNative, noOptionalNative],
      define: {
        ...(buildId ? { __RAMPART_BUILD_ID__: JSON.stringify(buildId) } : {}),
        'process.env.NODE_ENV': '"production"',
        // The rules/ folder is found from the running file (agent/rules/paths.ts): here __filename,
        // which agent/worker/boot.ts sets to the bundle's path (the executable's, in a SEA).
        'import.meta.url': '__rampartImportMetaUrl',
      },
      banner: { js: "const __rampartImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
    return result.metafile;
  };
  return [await one('agent/worker/bundle-entry.ts', 'scan-worker.cjs'), await one('agent/worker/boot-entry.ts', 'scan-worker-boot.cjs')];
}
