/**
 * bench/agent: the design before the scan watchdog, for comparison: one long-running process that
 * loads the packs once and scans N times. Prints JSON: CPU of the first and of each later scan, and
 * the resident memory after each. Bundled by worker-cost.mjs; never part of the product.
 */
import { readFileSync } from 'node:fs';
import { runScan } from '../../agent/engine/runner.js';
import { FixtureHost, liveHost } from '../../agent/host/fs-host.js';
import { loadPacks } from '../../agent/rules/load-packs.js';
import { packCacheIn } from '../../agent/rules/pack-cache.js';

const o = JSON.parse(process.argv[2]!) as { cacheDir: string; pack: string; fixtureRoot?: string; scans: number; rulesDir: string };
const cpu = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const rssMB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const startup = cpu();
const loaded = await loadPacks({ packFiles: [o.pack], directivesPath: `${o.rulesDir}/directives.yaml`, cache: packCacheIn(o.cacheDir) ?? null });
const host = o.fixtureRoot ? new FixtureHost(o.fixtureRoot) : liveHost({ cacheDir: o.cacheDir });
const scans: Array<{ cpuMs: number; rssMB: number }> = [];
for (let i = 0; i < o.scans; i++) {
  const c0 = cpu();
  const report = await runScan({ host, packs: loaded.packs });
  JSON.stringify(report);
  scans.push({ cpuMs: cpu() - c0, rssMB: rssMB() });
}
process.stdout.write(JSON.stringify({ startupCpuMs: startup, scans }) + '\n');
