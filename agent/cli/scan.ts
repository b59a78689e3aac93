/**
 * @module `rampart scan`: a one-shot local scan with a table, JSON, OSCAL, CSV or HTML output and exit
 * codes that scripts can use.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { SEVERITY_RANK, SeveritySchema, type Severity } from '../../shared/rule-pack.js';
import type { ScanReport } from '../../shared/result.js';
import { FixtureHost, liveHost, offlineRootHost } from '../host/fs-host.js';
import type { Host } from '../host/host.js';
import { runScan } from '../engine/runner.js';
import { loadPacks } from '../rules/load-packs.js';
import { packCacheIn } from '../rules/pack-cache.js';
import { EXIT, parse } from './args.js';
import { renderTable } from './scan-table.js';

export const SCAN_HELP = `Usage: rampart scan [options]

Scan this host (or an offline root) against the rule packs and report every verdict with evidence.

Options:
  --pack FILE           Rule pack to run (repeatable). Default: every pack shipped in rules/.
  --tailoring FILE      Agency tailoring: parameter values, disabled rules, severity changes, host tags.
  --root DIR            Scan a mounted filesystem or unpacked container image offline (like oscap-chroot).
                        Facts only a running host has (sysctl runtime values, sockets, services) come
                        out not-applicable unless DIR holds them.
  --format FORMAT       table (default), json (docs/scan-output.md), oscal (OSCAL 1.1.2 assessment
                        results), csv (the failing rules) or html (a printable report); docs/evidence.md.
  --validate            With --format oscal: check the document against the OSCAL schema before
                        writing it (exit 3 with ERR_OSCAL_INVALID if it does not validate).
  --output FILE         Write the report to FILE instead of standard output.
  --fail-on SEVERITY    Exit 1 only for failures at or above: critical, high, medium, low (default: low).
  --strict              Also exit 1 when a rule could not be evaluated (status error).
  --verbose             Table: also list not-applicable rules with their reasons, and evidence of passes.
  --inventory           Add the AI inventory section (services, versions, bind addresses, model
                        directories). On by default when the ai-workloads pack runs.
  --cache-dir DIR       Where slow package-manager answers (a simulated upgrade takes seconds) are kept
                        for up to 6 h, dropped as soon as packages or package lists change; evidence
                        shows when the answer was collected. Default: /var/cache/rampart as root,
                        else $XDG_CACHE_HOME/rampart or ~/.cache/rampart.
  --no-cache            Always ask the package manager afresh, and validate every pack afresh (validated
                        packs are otherwise cached in the same directory, keyed by their sha256).
  --no-color            Plain table output (also when NO_COLOR is set or output is not a terminal).
  -h, --help            Show this help.

Exit codes:
  0  nothing fails at or above the --fail-on threshold
  1  at least one failure at or above the threshold (or an error, with --strict)
  2  usage error, or a pack, tailoring or directives file is invalid
  3  the scan itself could not run

Examples:
  rampart scan
  rampart scan --format json --output /var/tmp/scan.json
  rampart scan --format oscal --validate --output /var/tmp/scan.oscal.json
  rampart scan --format html --output /var/tmp/scan.html
  rampart scan --root /mnt/image --fail-on high
  rampart scan --pack rules/linux-network-baseline.yaml --tailoring agency.yaml
`;

const FORMATS = ['table', 'json', 'oscal', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

export interface ScanCommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** The default command cache: system-wide for root, per user otherwise. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (process.getuid?.() === 0) return '/var/cache/rampart';
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'rampart');
}

async function hostFor(root: string | undefined, env: NodeJS.ProcessEnv, cacheDir: string | undefined): Promise<Host> {
  // RAMPART_FIXTURE_ROOT is for tests only: treat a captured machine as the live host.
  const fixture = env.RAMPART_FIXTURE_ROOT;
  if (fixture) return new FixtureHost(fixture);
  if (root === undefined || path.resolve(root) === '/') return liveHost(cacheDir === undefined ? {} : { cacheDir });
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new AppError('ERR_ROOT_INVALID', `--root ${root} is not a directory`);
  return offlineRootHost(root);
}

export function exitCodeFor(report: ScanReport, failOn: Severity, strict: boolean): number {
  const threshold = SEVERITY_RANK[failOn];
  const failing = report.results.some((r) => r.status === 'fail' && SEVERITY_RANK[r.severity] >= threshold);
  const errored = strict && report.results.some((r) => r.status === 'error');
  return failing || errored ? EXIT.findings : EXIT.ok;
}

/** OSCAL, CSV or HTML for one scan: the same evidence model and exporters the collector uses. */
async function renderEvidence(report: ScanReport, format: 'oscal' | 'csv' | 'html', options: { validate: boolean; directives: Iterable<{ id: string; title: string }> }): Promise<string> {
  const { fromScanReport } = await import('../../shared/evidence/model.js');
  const model = fromScanReport(report);
  if (format === 'csv') return (await import('../../shared/reports/csv.js')).findingsCsv(model);
  if (format === 'html') return (await import('../../shared/reports/html.js')).htmlReport(model, { directives: options.directives });
  const { evidenceToOscal } = await import('../../shared/oscal/from-evidence.js');
  const doc = evidenceToOscal(model);
  if (options.validate) (await import('../../shared/oscal/validate.js')).assertValidOscal(doc);
  return JSON.stringify(doc, null, 2) + '\n';
}

export async function scanCommand(argv: string[], io: ScanCommandIO): Promise<number> {
  const { values } = parse(argv, {
    pack: { type: 'string', multiple: true },
    tailoring: { type: 'string' },
    root: { type: 'string' },
    format: { type: 'string', default: 'table' },
    output: { type: 'string' },
    'fail-on': { type: 'string', default: 'low' },
    strict: { type: 'boolean', default: false },
    validate: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    inventory: { type: 'boolean' },
    'cache-dir': { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    'no-color': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(SCAN_HELP);
    return EXIT.ok;
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new AppError('ERR_USAGE', `--format must be one of ${FORMATS.join(', ')}; got "${values.format}"`);
  if (values.validate && format !== 'oscal') throw new AppError('ERR_USAGE', '--validate only applies to --format oscal');
  const failOn = SeveritySchema.safeParse(values['fail-on']);
  if (!failOn.success) throw new AppError('ERR_USAGE', `--fail-on must be one of critical, high, medium, low; got "${values['fail-on']}"`);

  const cacheDir = values['no-cache'] ? undefined : (values['cache-dir'] ?? defaultCacheDir(io.env));
  const host = await hostFor(values.root, io.env, cacheDir);
  // Validated packs are cached beside the command answers (same --cache-dir, same --no-cache).
  const packCache = cacheDir === undefined ? null : (packCacheIn(cacheDir, io.env) ?? null);
  const loaded = await loadPacks({ packFiles: values.pack ?? [], ...(values.tailoring ? { tailoringFile: values.tailoring } : {}), cache: packCache });
  const report = await runScan({
    host,
    packs: loaded.packs,
    inventory: values.inventory ?? 'auto',
    ...(loaded.tailoring
      ? { hostTags: loaded.tailoring.tailoring.hostTags, tailoring: { id: loaded.tailoring.tailoring.tailoring.id, sha256: loaded.tailoring.sha256 } }
      : {}),
  });

  let text: string;
  if (format === 'json') text = JSON.stringify(report, null, 2) + '\n';
  else if (format === 'oscal' || format === 'csv' || format === 'html') {
    // Loaded only for these formats, so table and JSON scans never pay for them (or for Ajv).
    text = await renderEvidence(report, format, { validate: values.validate, directives: loaded.directives.values() });
  } else {
    const color = !values['no-color'] && !io.env.NO_COLOR && values.output === undefined && Boolean(io.stdout.isTTY);
    text = renderTable(report, { color, verbose: values.verbose });
  }
  if (values.output) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(values.output, text);
  } else io.stdout.write(text);
  return exitCodeFor(report, failOn.data, values.strict);
}
