#!/usr/bin/env node
/**
 * @module bench/scan: wall time, CPU time and peak RSS of `rampart scan --format json` with the
 * shipped packs on this machine, against OpenSCAP on the equivalent network rules measured in the
 * same run (bench/openscap/run.mjs), reported as ratios.
 *
 * Usage: npm run bench:scan [-- --runs 20 --warmup 2 --oscap-runs 3 --pack FILE --no-openscap --write]
 *   --write   replace the "Host scan (bench/scan)" section of docs/PERFORMANCE.md with the results.
 * Needs /usr/bin/time (Debian package `time`) for CPU and RSS; OpenSCAP numbers need
 * openscap-scanner + ssg-debderived (without them the run says so loudly and reports Rampart only).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/rampart.js');
const DOC = path.join(REPO, 'docs/PERFORMANCE.md');
const SECTION = '## Host scan (bench/scan)';
const GOALS = { wallMs: 250, rssMB: 80, speedup: 15 };

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    'oscap-runs': { type: 'string', default: '3' },
    pack: { type: 'string', multiple: true, default: [] },
    'no-openscap': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Math.min(200, Number(opts.runs) || 20));
const warmup = Math.max(0, Math.min(20, Number(opts.warmup) || 0));
const say = (s) => process.stderr.write(`${s}\n`);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const median = (xs) => quantile(xs, 0.5);
const r1 = (x) => Math.round(x * 10) / 10;

function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  let osName = os.type();
  try {
    osName = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // keep os.type()
  }
  const container = existsSync('/.dockerenv') || existsSync('/run/.containerenv');
  return { cpu, cores: os.cpus().length, memGB: r1(os.totalmem() / 2 ** 30), os: osName, kernel: os.release(), node: process.version, container };
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** One scan: wall (ms, measured here), user+sys CPU (ms) and max RSS (MB) of the child from /usr/bin/time. */
function scanOnce(packArgs) {
  const args = [CLI, 'scan', '--format', 'json', ...packArgs];
  const t0 = performance.now();
  const r = TIME
    ? spawnSync(TIME, ['-f', 'RAMPART_TIME %U %S %M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`rampart scan exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const m = /RAMPART_TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  const report = JSON.parse(r.stdout);
  return { wallMs, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, rssMB: m ? Number(m[3]) / 1024 : NaN, report };
}

function benchRampart() {
  const packArgs = opts.pack.flatMap((p) => ['--pack', p]);
  for (let i = 0; i < warmup; i++) scanOnce(packArgs);
  const samples = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const s = scanOnce(packArgs);
    samples.push(s);
    last = s.report;
  }
  // The rules that take longest inside the scan (median durationMs across runs is overkill: the last run is representative).
  const slowest = [...last.results]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, 5)
    .map((r) => `${r.ruleId} ${r.durationMs} ms`);
  const cacIds = new Set(last.results.flatMap((r) => r.references.cac ?? []));
  return {
    rules: last.results.length,
    packs: last.packs.map((p) => `${p.id} ${p.version} (${p.ruleCount} rules)`),
    summary: last.summary,
    inScanMs: last.durationMs,
    cacIds,
    slowest,
    wall: { median: median(samples.map((s) => s.wallMs)), p90: quantile(samples.map((s) => s.wallMs), 0.9) },
    cpu: { median: median(samples.map((s) => s.cpuMs)), p90: quantile(samples.map((s) => s.cpuMs), 0.9) },
    rss: { median: median(samples.map((s) => s.rssMB)), max: Math.max(...samples.map((s) => s.rssMB)) },
  };
}

function benchOpenscap() {
  if (opts['no-openscap']) return { skipped: 'disabled with --no-openscap' };
  const oscapInstalled = ['/usr/bin/oscap', '/usr/sbin/oscap', '/usr/local/bin/oscap'].some((p) => existsSync(p));
  const dsInstalled = existsSync('/usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml');
  if (!oscapInstalled || !dsInstalled) {
    const what = !oscapInstalled ? 'oscap (openscap-scanner)' : 'ssg-ubuntu2204-ds.xml (ssg-debderived)';
    say('');
    say('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    say(`!!  OpenSCAP NOT MEASURED: ${what} is not installed.`);
    say('!!  Install with: apt-get install -y openscap-scanner ssg-debderived ssg-debian time');
    say('!!  No speed-up ratio can be given for this run.');
    say('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    say('');
    return { skipped: `${what} is not installed` };
  }
  const r = spawnSync(process.execPath, [path.join(REPO, 'bench/openscap/run.mjs'), '--runs', String(opts['oscap-runs']), '--json', '--no-verdicts'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) return { skipped: `bench/openscap/run.mjs exited ${r.status}` };
  return JSON.parse(r.stdout);
}

function fmtMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function render(m, ours, oscap, loadBefore, loadAfter, date) {
  const lines = [];
  const goal = (ok) => (ok ? 'met' : '**missed**');
  lines.push(SECTION, '');
  lines.push(`Measured ${date} by \`npm run bench:scan -- --write\` (bench/scan/run.mjs). Rerun: \`npm run bench:scan -- --write\``);
  lines.push(`(options: \`--runs N --warmup N --oscap-runs N --pack FILE --no-openscap\`).`, '');
  lines.push(`Machine: ${m.os}, ${m.container ? 'container, ' : ''}${m.cores} cores (${m.cpu}), ${m.memGB} GB, kernel ${m.kernel}, Node ${m.node}.`);
  lines.push(`Load average before/after: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${loadAfter.map((x) => x.toFixed(2)).join(' ')} (other work on the machine inflates both tools alike; compare the ratios).`, '');
  lines.push(`Rampart: \`node dist/rampart.js scan --format json\`${opts.pack.length ? ` ${opts.pack.map((p) => `--pack ${p}`).join(' ')}` : ' (the shipped packs)'}, live host, ${ours.rules} rules`);
  lines.push(`(${ours.packs.join(', ')}; ${ours.summary.pass} pass, ${ours.summary.fail} fail, ${ours.summary.error} error, ${ours.summary.notApplicable} n/a), ${runs} runs after ${warmup} warm-ups; each run is a new process (start-up included).`);
  if (oscap.skipped) {
    lines.push('', `**OpenSCAP was not measured in this run: ${oscap.skipped}.** No speed-up ratio.`, '');
  } else {
    lines.push(`OpenSCAP: \`oscap xccdf eval\` ${oscap.oscapVersion} with SSG ${oscap.ssgVersion}, the ${oscap.rules} network rules of bench/openscap/selection.txt`);
    lines.push(`(patched ubuntu2204 data stream, cis_level1_server values; see docs/openscap-comparison.md), ${oscap.runs.length} runs, in the same bench run.`);
    const selection = readFileSync(path.join(REPO, 'bench/openscap/selection.txt'), 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    const named = selection.filter((id) => ours.cacIds.has(id)).length;
    lines.push(`Of those ${selection.length} CaC ids, ${named} are named by a Rampart rule in this run (the rest are covered by Rampart rules without a CaC reference, or not at all: docs/openscap-comparison.md).`, '');
  }
  lines.push('| measure | Rampart (median) | Rampart (p90) | OpenSCAP (median) | OpenSCAP / Rampart | goal |', '|---|---|---|---|---|---|');
  const os1 = oscap.skipped ? undefined : oscap.median;
  const ratio = (a, b) => (a === undefined ? '–' : `${(a / b).toFixed(1)}×`);
  lines.push(
    `| wall time | ${fmtMs(ours.wall.median)} | ${fmtMs(ours.wall.p90)} | ${os1 ? fmtMs(os1.wallS * 1000) : '–'} | ${ratio(os1 && os1.wallS * 1000, ours.wall.median)} | ≤ ${GOALS.wallMs} ms: ${goal(ours.wall.median <= GOALS.wallMs)}; ≥ ${GOALS.speedup}× faster: ${os1 ? goal((os1.wallS * 1000) / ours.wall.median >= GOALS.speedup) : 'not measured'} |`,
  );
  lines.push(
    `| CPU (user+sys) | ${fmtMs(ours.cpu.median)} | ${fmtMs(ours.cpu.p90)} | ${os1 ? fmtMs((os1.userS + os1.sysS) * 1000) : '–'} | ${ratio(os1 && (os1.userS + os1.sysS) * 1000, ours.cpu.median)} | |`,
  );
  lines.push(`| peak RSS | ${r1(ours.rss.median)} MB | max ${r1(ours.rss.max)} MB | ${os1 ? `${os1.maxRssMB} MB` : '–'} | ${ratio(os1 && os1.maxRssMB, ours.rss.median)} | ≤ ${GOALS.rssMB} MB: ${goal(ours.rss.max <= GOALS.rssMB)} |`);
  lines.push('', `Time inside the scan itself (report \`durationMs\`, last run): ${fmtMs(ours.inScanMs)}; slowest rules: ${ours.slowest.join(', ')}.`);
  return lines.join('\n');
}

function writeSection(text) {
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Performance\n\nEach section is owned by the bench that writes it; rerun the command it names to refresh it.\n';
  const start = doc.indexOf(`${SECTION}\n`);
  let out;
  if (start < 0) out = `${doc.trimEnd()}\n\n${text}\n`;
  else {
    const next = doc.indexOf('\n## ', start + SECTION.length);
    // keep a hand-written "### ..." subsection (start-up work) that follows the generated part
    const keep = doc.indexOf('\n### ', start);
    const end = keep >= 0 && (next < 0 || keep < next) ? keep : next < 0 ? doc.length : next;
    out = `${doc.slice(0, start)}${text}\n${doc.slice(end)}`;
  }
  writeFileSync(DOC, out);
}

function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run bench:scan does)`);
  if (!TIME) say('!! /usr/bin/time is missing (apt-get install -y time): CPU and RSS are not measured.');
  const m = machine();
  const loadBefore = os.loadavg();
  say(`bench/scan: ${runs} runs of rampart scan (+${warmup} warm-ups) on ${m.os}, ${m.cores} cores, load ${loadBefore[0].toFixed(2)}`);
  const ours = benchRampart();
  say(`rampart: ${ours.rules} rules; wall median ${fmtMs(ours.wall.median)} p90 ${fmtMs(ours.wall.p90)}; cpu median ${fmtMs(ours.cpu.median)}; rss median ${r1(ours.rss.median)} MB max ${r1(ours.rss.max)} MB`);
  const oscap = benchOpenscap();
  const loadAfter = os.loadavg();
  const text = render(m, ours, oscap, loadBefore, loadAfter, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
  process.stdout.write(`${text}\n`);
  if (opts.write) {
    writeSection(text);
    say(`wrote the "${SECTION.slice(3)}" section of ${path.relative(process.cwd(), DOC)}`);
  }
}

main();
