#!/usr/bin/env node
/**
 * @module OpenSCAP reference run: evaluate the 110 network rules of SSG's ubuntu2204
 * `cis_level1_server` profile on this host, time it, and record SSG's per-rule verdicts.
 *
 * What it does (see /work/shared/reference/openscap-notes.md, and docs/openscap-comparison.md):
 *  1. Makes a cached, PATCHED COPY of ssg-ubuntu2204-ds.xml (the installed file is never touched):
 *     - the benchmark-level platform (Ubuntu 22.04 CPE) is removed, so the content runs on Debian 12;
 *     - the container marker paths (/.dockerenv, /run/.containerenv) in the OVAL objects are renamed to
 *       paths that do not exist, so the `machine` platform is true in a container (skip with
 *       --container-aware). Rule OVAL is otherwise unchanged.
 *  2. Writes an XCCDF tailoring file whose profile extends cis_level1_server (keeping its values:
 *     MaxAuthTries 4, ClientAliveInterval 300, ...) and selects exactly the rules in selection.txt.
 *  3. Runs `oscap xccdf eval` under /usr/bin/time -v --runs times (default 3) and reports wall, user,
 *     sys and max RSS of each run.
 *  4. Writes the verdicts of the last run to test/fixtures/openscap/debian12-ssg-verdicts.json
 *     (unless --no-verdicts), with a header saying how they were produced.
 *
 * Usage: node bench/openscap/run.mjs [--runs N] [--verdicts FILE | --no-verdicts] [--arf]
 *                                    [--container-aware] [--json] [--quiet]
 *   --json   print one JSON document (timings + counts) on stdout; progress goes to stderr.
 *   RAMPART_OSCAP_KEEP=1 keeps the oscap results XML in the temp dir (for debugging).
 * Needs: openscap-scanner, ssg-debderived, time (Debian packages).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const SOURCE_DS = '/usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml';
const BASE_PROFILE = 'xccdf_org.ssgproject.content_profile_cis_level1_server';
const TAILORED_PROFILE = 'xccdf_org.ssgproject.content_profile_cis_level1_server_rampart_network';
const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
const DEFAULT_VERDICTS = path.join(REPO, 'test/fixtures/openscap/debian12-ssg-verdicts.json');
/** Bump when the patch changes, so stale cached copies are not reused. */
const PATCH_VERSION = 1;

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    verdicts: { type: 'string', default: DEFAULT_VERDICTS },
    'no-verdicts': { type: 'boolean', default: false },
    arf: { type: 'boolean', default: false },
    'container-aware': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const log = (msg) => {
  if (!opts.quiet) process.stderr.write(`[openscap] ${msg}\n`);
};

function die(msg, code = 3) {
  process.stderr.write(`bench/openscap: ${msg}\n`);
  process.exit(code);
}

function which(name) {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin']) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function dpkgVersion(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The rule selection: one CaC id a line; `#` comments. */
export function readSelection(file = path.join(HERE, 'selection.txt')) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function cacheDir() {
  const base = process.env.RAMPART_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'rampart');
  const dir = path.join(base, 'openscap');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Patch the data stream text; throws if the content is not shaped as expected (a different SSG). */
export function patchDataStream(text, { containerAware }) {
  const applied = [];
  const platform = /\n\s*<xccdf-1\.2:platform idref="cpe:\/o:canonical:ubuntu_linux:22\.04::~~lts~~~"\/>/;
  if (!platform.test(text)) throw new Error('benchmark platform element not found; is this SSG 0.1.65 ubuntu2204 content?');
  let out = text.replace(platform, '');
  applied.push('removed benchmark platform cpe:/o:canonical:ubuntu_linux:22.04::~~lts~~~');
  if (!containerAware) {
    for (const marker of ['/.dockerenv', '/run/.containerenv']) {
      const from = `<unix:filepath datatype="string">${marker}</unix:filepath>`;
      const to = `<unix:filepath datatype="string">${marker}.rampart-host-mode-absent</unix:filepath>`;
      const n = out.split(from).length - 1;
      if (n === 0) throw new Error(`container marker object for ${marker} not found`);
      out = out.split(from).join(to);
      applied.push(`renamed container marker ${marker} (${n} OVAL objects) so platform "machine" is true`);
    }
  }
  return { text: out, applied };
}

function tailoringXml(selection, dsHref) {
  const selects = selection.map((id) => `    <xccdf:select idref="${RULE_PREFIX}${id}" selected="true"/>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<xccdf:Tailoring xmlns:xccdf="http://checklists.nist.gov/xccdf/1.2" id="xccdf_rampart_tailoring_network">
  <xccdf:benchmark href="${dsHref}"/>
  <xccdf:version time="2026-01-01T00:00:00">1</xccdf:version>
  <xccdf:Profile id="${TAILORED_PROFILE}" extends="${BASE_PROFILE}">
    <xccdf:title>CIS Level 1 Server values, Rampart network-rule selection</xccdf:title>
    <xccdf:description>Deselects every rule of the base profile, then selects the network rules Rampart compares against.</xccdf:description>
${'    <!-- DESELECT_ALL -->'}
${selects}
  </xccdf:Profile>
</xccdf:Tailoring>
`;
}

/** Map rule id → the ids of the Groups enclosing it (a rule inside a deselected Group is not evaluated). */
export function ruleAncestors(dsText) {
  const start = dsText.indexOf('<xccdf-1.2:Benchmark ');
  const end = dsText.indexOf('</xccdf-1.2:Benchmark>', start);
  const stack = [];
  const out = new Map();
  const re = /<xccdf-1\.2:Group\b[^>]*\bid="([^"]+)"[^>]*>|<\/xccdf-1\.2:Group>|<xccdf-1\.2:Rule\b[^>]*\bid="xccdf_org\.ssgproject\.content_rule_([^"]+)"/g;
  re.lastIndex = start;
  for (let m = re.exec(dsText); m && m.index < end; m = re.exec(dsText)) {
    if (m[1]) stack.push(m[1]);
    else if (m[2]) out.set(m[2], [...stack]);
    else stack.pop();
  }
  return out;
}

/** Every rule id the base profile selects (to deselect those outside our selection). */
function profileRules(dsText) {
  const start = dsText.indexOf(`<xccdf-1.2:Profile id="${BASE_PROFILE}"`);
  if (start < 0) throw new Error(`profile ${BASE_PROFILE} not found`);
  const end = dsText.indexOf('</xccdf-1.2:Profile>', start);
  const body = dsText.slice(start, end);
  return [...body.matchAll(/<xccdf-1\.2:select idref="xccdf_org\.ssgproject\.content_rule_([^"]+)" selected="true"\/>/g)].map((m) => m[1]);
}

function prepare(selection, containerAware) {
  if (!existsSync(SOURCE_DS)) die(`${SOURCE_DS} is missing: apt-get install -y ssg-debderived`);
  const sourceText = readFileSync(SOURCE_DS, 'utf8');
  const sourceSha = createHash('sha256').update(sourceText).digest('hex');
  const dir = cacheDir();
  const tag = `${sourceSha.slice(0, 16)}-p${PATCH_VERSION}${containerAware ? '-container-aware' : ''}`;
  const patched = path.join(dir, `ssg-ubuntu2204-ds.${tag}.xml`);
  const { text, applied } = patchDataStream(sourceText, { containerAware });
  if (!existsSync(patched)) {
    writeFileSync(`${patched}.tmp`, text);
    // rename is atomic: concurrent runs never see a half-written copy
    spawnSync('mv', ['-f', `${patched}.tmp`, patched]);
    log(`patched copy written to ${patched}`);
  } else log(`using cached patched copy ${patched}`);
  const tailoring = writeTailoring(selection, sourceText, dir, path.basename(patched));
  return { patched, tailoring, sourceSha, applied, sourceText };
}

/** A tailoring file selecting exactly `selection` (and the Groups enclosing it), everything else of the profile off. */
function writeTailoring(selection, sourceText, dir, dsHref) {
  const inProfile = profileRules(sourceText);
  const keep = new Set(selection);
  const deselect = inProfile.filter((id) => !keep.has(id)).map((id) => `    <xccdf:select idref="${RULE_PREFIX}${id}" selected="false"/>`);
  // the base profile deselects whole Groups (audit, kernel modules, ...): select the Groups enclosing our rules
  const ancestors = ruleAncestors(sourceText);
  const groups = new Set();
  for (const id of selection) {
    const a = ancestors.get(id);
    if (!a) throw new Error(`rule ${id} is not in ${SOURCE_DS}`);
    a.forEach((g) => groups.add(g));
  }
  for (const g of [...groups].sort()) deselect.push(`    <xccdf:select idref="${g}" selected="true"/>`);
  const tailoring = path.join(dir, `tailoring-${createHash('sha256').update(selection.join('\n')).digest('hex').slice(0, 12)}.xml`);
  writeFileSync(tailoring, tailoringXml(selection, dsHref).replace('    <!-- DESELECT_ALL -->', deselect.join('\n')));
  return tailoring;
}

/** CaC ids the shipped packs name (rules/*.yaml and rules/_parts/*.yaml), read with a regex-free YAML parse. */
async function packCacIds() {
  const { parse } = await import('yaml');
  const ids = new Set();
  for (const dir of ['rules', 'rules/_parts']) {
    const abs = path.join(REPO, dir);
    if (!existsSync(abs)) continue;
    for (const n of readdirSync(abs).sort()) {
      if (!/\.ya?ml$/.test(n) || n === 'directives.yaml') continue;
      const doc = parse(readFileSync(path.join(abs, n), 'utf8'));
      for (const r of doc?.rules ?? []) for (const c of r?.references?.cac ?? []) ids.add(c);
    }
  }
  return ids;
}

function parseTimeV(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const wallM = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(text);
  const wall = wallM ? Number(wallM[1] ?? 0) * 3600 + Number(wallM[2]) * 60 + Number(wallM[3]) : NaN;
  return {
    wallS: wall,
    userS: num(/User time \(seconds\): ([\d.]+)/),
    sysS: num(/System time \(seconds\): ([\d.]+)/),
    maxRssMB: Math.round((num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024) * 10) / 10,
  };
}

/** rule-result → verdict, from an XCCDF 1.2 results document (with or without a namespace prefix). */
export function parseVerdicts(xml) {
  const verdicts = {};
  const re = /<(?:[\w-]+:)?rule-result\b[^>]*\bidref="xccdf_org\.ssgproject\.content_rule_([^"]+)"[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?rule-result>/g;
  for (const m of xml.matchAll(re)) {
    const r = /<(?:[\w-]+:)?result>([a-z]+)<\/(?:[\w-]+:)?result>/.exec(m[2]);
    // the results list every rule of the benchmark; only the selected ones were evaluated
    if (r && r[1] !== 'notselected') verdicts[m[1]] = r[1];
  }
  return verdicts;
}

async function main() {
  const oscap = which('oscap');
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  if (!oscap) die('oscap is not installed: apt-get install -y openscap-scanner ssg-debderived', 4);
  if (!timeBin) die('/usr/bin/time is not installed: apt-get install -y time', 4);
  const runs = Math.max(1, Math.min(20, Number(opts.runs) || 3));
  const selection = readSelection();
  const containerAware = opts['container-aware'];
  const { patched, tailoring, sourceSha, applied, sourceText } = prepare(selection, containerAware);
  const work = mkdtempSync(path.join(os.tmpdir(), 'rampart-oscap-'));
  const timings = [];
  let verdicts = {};
  try {
    for (let i = 0; i < runs; i++) {
      const results = path.join(work, `results-${i}.xml`);
      const timeOut = path.join(work, `time-${i}.txt`);
      const args = ['-v', '-o', timeOut, oscap, 'xccdf', 'eval', '--tailoring-file', tailoring, '--profile', TAILORED_PROFILE, '--results', results];
      if (opts.arf) args.push('--results-arf', path.join(work, `arf-${i}.xml`));
      args.push(patched);
      const r = spawnSync(timeBin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      // oscap: 0 all pass, 2 at least one rule failed, 1 evaluation error
      if (r.status !== 0 && r.status !== 2) die(`oscap exited ${r.status}: ${(r.stderr || '').slice(-2000)}`);
      const t = parseTimeV(readFileSync(timeOut, 'utf8'));
      timings.push(t);
      log(`run ${i + 1}/${runs}: wall ${t.wallS.toFixed(2)} s, user ${t.userS.toFixed(2)} s, sys ${t.sysS.toFixed(2)} s, max RSS ${t.maxRssMB} MB`);
      verdicts = parseVerdicts(readFileSync(results, 'utf8'));
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  // Every other CaC id a shipped rule names that this content has: one more (untimed) evaluation, so the
  // agreement test covers every id Rampart claims, not only the timed network selection.
  let extraVerdicts = {};
  let extraIds = [];
  let notInContent = [];
  if (!opts['no-verdicts']) {
    const named = [...(await packCacIds())].filter((id) => !selection.includes(id)).sort();
    const inDs = new Set([...sourceText.matchAll(/<xccdf-1\.2:Rule [^>]*\bid="xccdf_org\.ssgproject\.content_rule_([^"]+)"/g)].map((m) => m[1]));
    extraIds = named.filter((id) => inDs.has(id));
    notInContent = named.filter((id) => !inDs.has(id));
    if (extraIds.length > 0) {
      const t = writeTailoring(extraIds, sourceText, path.dirname(tailoring), path.basename(patched));
      const results = path.join(work, 'results-extra.xml');
      const r = spawnSync(oscap, ['xccdf', 'eval', '--tailoring-file', t, '--profile', TAILORED_PROFILE, '--results', results, patched], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (r.status !== 0 && r.status !== 2) die(`oscap (extra ids) exited ${r.status}: ${(r.stderr || '').slice(-2000)}`);
      extraVerdicts = parseVerdicts(readFileSync(results, 'utf8'));
      log(`${extraIds.length} more CaC ids named by the shipped packs evaluated (untimed); ${notInContent.length} named ids are not in this content`);
    }
  }
  const missing = selection.filter((id) => !(id in verdicts));
  const extra = Object.keys(verdicts).filter((id) => !selection.includes(id));
  if (missing.length > 0 || extra.length > 0) die(`selection mismatch: missing ${missing.join(', ') || '-'}; unexpected ${extra.join(', ') || '-'}`);
  const counts = {};
  for (const v of Object.values(verdicts)) counts[v] = (counts[v] ?? 0) + 1;
  const sorted = [...timings].sort((a, b) => a.wallS - b.wallS);
  const median = sorted[Math.floor(sorted.length / 2)];
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const prettyName = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1];
  const header = {
    producedBy: 'bench/openscap/run.mjs',
    date: new Date().toISOString(),
    host: {
      hostname: os.hostname(),
      os: prettyName,
      debianVersion: readFileSync('/etc/debian_version', 'utf8').trim(),
      kernel: os.release(),
      cpus: os.cpus().length,
      container: existsSync('/.dockerenv') || existsSync('/run/.containerenv'),
    },
    oscapVersion: dpkgVersion('openscap-scanner') ?? 'unknown',
    ssgVersion: dpkgVersion('ssg-debderived') ?? 'unknown',
    dataStream: { source: SOURCE_DS, sha256: sourceSha, patches: applied },
    profile: `${TAILORED_PROFILE} (tailoring extends ${BASE_PROFILE}; selects exactly the ${selection.length} rules of bench/openscap/selection.txt)`,
    command: `oscap xccdf eval --tailoring-file <tailoring> --profile ${TAILORED_PROFILE} --results <results.xml> <patched ds>`,
    counts,
  };
  if (!process.env.RAMPART_OSCAP_KEEP) rmSync(work, { recursive: true, force: true });
  if (!opts['no-verdicts']) {
    const ordered = Object.fromEntries([...selection.map((id) => [id, verdicts[id]]), ...extraIds.filter((id) => id in extraVerdicts).map((id) => [id, extraVerdicts[id]])]);
    header.extra = {
      note: 'verdicts after the first 110 (the timed network selection) are the other CaC ids the shipped packs name that this content has, evaluated the same way in one untimed run',
      ids: extraIds.filter((id) => id in extraVerdicts),
      notInContent,
    };
    mkdirSync(path.dirname(opts.verdicts), { recursive: true });
    writeFileSync(opts.verdicts, `${JSON.stringify({ header, verdicts: ordered }, null, 2)}\n`);
    log(`verdicts written to ${path.relative(process.cwd(), opts.verdicts)}: ${JSON.stringify(counts)}`);
  }
  const summary = { rules: selection.length, runs: timings, median, counts, oscapVersion: header.oscapVersion, ssgVersion: header.ssgVersion };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    log(`median of ${runs}: wall ${median.wallS.toFixed(2)} s, user ${median.userS.toFixed(2)} s, sys ${median.sysS.toFixed(2)} s, max RSS ${median.maxRssMB} MB`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
