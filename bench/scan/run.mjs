#!/usr/bin/env node
/**
 * @module bench/scan: wall time, CPU time and peak RSS of `rampart scan --format json` with the
 * shipped packs on this machine, against OpenSCAP on the equivalent network rules measured in the
 * same run (bench/openscap/run.mjs), reported as ratios.
 *
 * Usage: npm run bench:scan [-- --runs 20 --warmup 2 --oscap-runs 3 --pack FILE --no-openscap --wait-idle S --write]
 *   --write       replace the "Host scan (bench/scan)" section of docs/PERFORMANCE.md with the results.
 *   --wait-idle S wait up to S seconds for the 1-minute load average to drop below the core count first.
 * Needs /usr/bin/time (Debian package `time`) for CPU and RSS; OpenSCAP numbers need
 * openscap-scanner + ssg-debderived (without them the run says so loudly and reports Rampart only).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

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
    'wait-idle': { type: 'string', default: '0' },
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

/** What to time: --pack FILEs if given; else the baseline pack (or its parts before the merge) and all shipped packs. */
function scenarios() {
  if (opts.pack.length > 0) return [{ name: 'selected packs', packs: opts.pack }];
  const baseline = path.join(REPO, 'rules/linux-network-baseline.yaml');
  const partsDir = path.join(REPO, 'rules/_parts');
  const parts = existsSync(partsDir) ? readdirSync(partsDir).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => path.join('rules/_parts', n)) : [];
  const out = [];
  const base = existsSync(baseline) ? ['rules/linux-network-baseline.yaml'] : parts;
  if (existsSync(baseline)) out.push({ name: 'baseline pack', packs: base });
  else if (parts.length > 0) out.push({ name: 'baseline parts (before the merge)', packs: base });
  if (base.length > 0) {
    const same = sameRulesPacks(base);
    if (same.length > 0) out.push({ name: 'baseline rules with an SSG counterpart (same rules as OpenSCAP)', packs: same, label: 'baseline rules naming a CaC id of the OpenSCAP selection' });
  }
  out.push({ name: 'all shipped packs (default)', packs: [] });
  return out;
}

function readSelection() {
  return readFileSync(path.join(REPO, 'bench/openscap/selection.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** Copies of the baseline pack(s) keeping only the rules that name a CaC id OpenSCAP evaluates (written to a temp dir). */
function sameRulesPacks(files) {
  const selection = new Set(readSelection());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rampart-bench-same-rules-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = [];
  for (const f of files) {
    const doc = YAML.parse(readFileSync(path.join(REPO, f), 'utf8'));
    const rules = (doc.rules ?? []).filter((r) => (r.references?.cac ?? []).some((id) => selection.has(id)));
    if (rules.length === 0) continue;
    const file = path.join(dir, path.basename(f));
    writeFileSync(file, JSON.stringify({ ...doc, rules }, null, 1)); // JSON is YAML
    out.push(file);
  }
  return out;
}

function benchRampart(scenario) {
  const packArgs = scenario.packs.flatMap((p) => ['--pack', path.resolve(REPO, p)]);
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
    name: scenario.name,
    command: scenario.label ? `node dist/rampart.js scan --format json --pack <${scenario.label}>` : `node dist/rampart.js scan --format json${scenario.packs.map((p) => ` --pack ${p}`).join('')}`,
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

function render(m, all, oscap, loadBefore, loadAfter, date) {
  const lines = [];
  const goal = (ok) => (ok ? 'met' : '**missed**');
  const os1 = oscap.skipped ? undefined : oscap.median;
  const ratio = (a, b) => (a === undefined ? '–' : `${(a / b).toFixed(1)}×`);
  lines.push(SECTION, '');
  lines.push(`Measured ${date} by \`npm run bench:scan -- --write\` (bench/scan/run.mjs; options \`--runs N --warmup N --oscap-runs N --pack FILE --no-openscap --wait-idle S\`).`);
  lines.push(`Machine: ${m.os}, ${m.container ? 'container, ' : ''}${m.cores} cores (${m.cpu}), ${m.memGB} GB, kernel ${m.kernel}, Node ${m.node}.`);
  lines.push(`Load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}. Other work on the machine slows both tools alike, so the ratios within one run are what to compare; \`node -e 0\` took ${fmtMs(m.nodeBaseMs)} (median) in this run.`, '');
  lines.push(`Each Rampart run is a new process (start-up included), live host, ${runs} runs after ${warmup} warm-ups; the validated-pack cache and the package-manager answer cache are warm after the warm-ups, as on any host after its first scan.`);
  if (oscap.skipped) {
    lines.push('', `**OpenSCAP was not measured in this run: ${oscap.skipped}.** No speed-up ratio.`, '');
  } else {
    const selection = readSelection();
    const named = new Set(all.flatMap((o) => [...o.cacIds]).filter((id) => selection.includes(id)));
    lines.push(`OpenSCAP: \`oscap xccdf eval\` (openscap-scanner ${oscap.oscapVersion}, SSG ${oscap.ssgVersion}) on the ${oscap.rules} network rules of bench/openscap/selection.txt`);
    lines.push(`(patched ubuntu2204 data stream, cis_level1_server values, results XML; bench/openscap/run.mjs, ${oscap.runs.length} runs in this same bench run).`);
    lines.push(`${named.size} of those ${selection.length} CaC ids are named by the Rampart rules timed here (docs/openscap-comparison.md has the mapping).`, '');
  }
  lines.push('| what | rules | wall median | wall p90 | CPU (user+sys) median | peak RSS median (max) | OpenSCAP wall / Rampart wall | goals (≤ 250 ms, ≤ 80 MB, ≥ 15×) |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const o of all) {
    const speed = os1 ? (os1.wallS * 1000) / o.wall.median : undefined;
    const goals = `wall ${goal(o.wall.median <= GOALS.wallMs)}, RSS ${goal(o.rss.max <= GOALS.rssMB)}, speed-up ${speed === undefined ? 'not measured' : goal(speed >= GOALS.speedup)}`;
    lines.push(`| Rampart, ${o.name}: \`${o.command}\` | ${o.rules} | ${fmtMs(o.wall.median)} | ${fmtMs(o.wall.p90)} | ${fmtMs(o.cpu.median)} | ${r1(o.rss.median)} MB (${r1(o.rss.max)}) | ${ratio(os1 && os1.wallS * 1000, o.wall.median)} | ${goals} |`);
  }
  if (os1) {
    const walls = oscap.runs.map((r) => r.wallS * 1000);
    lines.push(`| OpenSCAP, ${oscap.rules} network rules | ${oscap.rules} | ${fmtMs(os1.wallS * 1000)} | ${fmtMs(Math.max(...walls))} (max) | ${fmtMs((os1.userS + os1.sysS) * 1000)} | ${os1.maxRssMB} MB | 1× | |`);
    lines.push('');
    for (const o of all) {
      lines.push(`Ratios OpenSCAP / Rampart (${o.name}): wall ${ratio(os1.wallS * 1000, o.wall.median)}, CPU ${ratio((os1.userS + os1.sysS) * 1000, o.cpu.median)}, peak RSS ${ratio(os1.maxRssMB, o.rss.median)}.`);
    }
  }
  lines.push('');
  for (const o of all) lines.push(`Inside the scan (report \`durationMs\`, last run), ${o.name}: ${fmtMs(o.inScanMs)}; slowest rules: ${o.slowest.join(', ')}.`);
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

function nodeBaseline() {
  const xs = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm run bench:scan does)`);
  if (!TIME) say('!! /usr/bin/time is missing (apt-get install -y time): CPU and RSS are not measured.');
  const m = machine();
  const waitS = Math.max(0, Math.min(3600, Number(opts['wait-idle']) || 0));
  const until = Date.now() + waitS * 1000;
  while (waitS > 0 && os.loadavg()[0] >= m.cores && Date.now() < until) {
    say(`waiting for the machine to go idle: load ${os.loadavg()[0].toFixed(2)} on ${m.cores} cores`);
    spawnSync('sleep', ['15']);
  }
  const loadBefore = os.loadavg();
  m.nodeBaseMs = nodeBaseline();
  say(`bench/scan: ${runs} runs per scenario (+${warmup} warm-ups) on ${m.os}, ${m.cores} cores, load ${loadBefore[0].toFixed(2)}`);
  const all = [];
  for (const sc of scenarios()) {
    const o = benchRampart(sc);
    say(`rampart, ${o.name}: ${o.rules} rules; wall median ${fmtMs(o.wall.median)} p90 ${fmtMs(o.wall.p90)}; cpu median ${fmtMs(o.cpu.median)}; rss median ${r1(o.rss.median)} MB max ${r1(o.rss.max)} MB`);
    all.push(o);
  }
  const oscap = benchOpenscap();
  const loadAfter = os.loadavg();
  const text = render(m, all, oscap, loadBefore, loadAfter, new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
  process.stdout.write(`${text}\n`);
  if (opts.write) {
    writeSection(text);
    say(`wrote the "${SECTION.slice(3)}" section of ${path.relative(process.cwd(), DOC)}`);
  }
}

main();
