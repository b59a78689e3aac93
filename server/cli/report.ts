/**
 * @module `rampart report --agency A --format oscal|csv|html|json`: evidence for an agency (or some
 * of its hosts) from the collector's data directory, built by the same exporters as `rampart scan`.
 */
import { writeFile } from 'node:fs/promises';
import { AppError, isAppError } from '../../shared/errors.js';
import { EXIT, parse, reportError } from '../../agent/cli/args.js';
import { parseDate } from './waiver.js';
import { hostScanObligations } from '../store/cadence-query.js';
import { loadDirectives } from '../../agent/rules/directives.js';
import { directivesFile } from '../../agent/rules/paths.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, withStore, type ServerCommandIO } from './cli-io.js';

export const REPORT_HELP = `Usage: rampart report --agency A [--host H]... [--format oscal|csv|html|json] [--as-of DATE] [--output FILE]

Evidence for an agency from the collector's data: every host's current result of every rule, with
its evidence, due dates of open findings, and the waivers that count now (docs/evidence.md).

Options:
  --agency A            Agency name or id (required).
  --host H              Only this host (agent id or hostname); repeatable. Default: every enrolled host.
  --format FORMAT       oscal (OSCAL 1.1.2 assessment results, default), csv (findings), html
                        (printable report) or json (the evidence model itself).
  --as-of DATE          Rebuild the evidence as it stood at a past date (YYYY-MM-DD is UTC midnight, or
                        RFC 3339): statuses from the history, findings and waivers of that time. Only the
                        latest scan's probe evidence is kept, so older results carry their status alone.
  --cadence-days N      Judge assessment cadences (BOD 23-01: every host scanned at least every 14 days)
                        over the N days before the report time (default 30; 0 leaves them out).
  --all                 CSV: one row per result, not only the findings.
  --validate            OSCAL: check the document against the OSCAL schema before writing it.
  --output FILE         Write to FILE instead of standard output.
${DATA_DIR_HELP}
  -h, --help            Show this help.

Exit codes: 0 ok, 2 usage or input error, 3 runtime failure.
`;

const FORMATS = ['oscal', 'csv', 'html', 'json'] as const;

/** The front door: what the operator typed wrong (unknown agency or host) exits 2, like usage errors. */
export async function reportMain(argv: string[], io: ServerCommandIO): Promise<number> {
  try {
    return await reportCommand(argv, io);
  } catch (err) {
    if (isAppError(err) && (err.code === 'ERR_USAGE' || err.code === 'ERR_AGENCY_NOT_FOUND' || err.code === 'ERR_NOT_FOUND' || err.code === 'ERR_CONFIG_INVALID')) {
      reportError(err);
      return EXIT.usage;
    }
    throw err;
  }
}

export async function reportCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...HELP_OPTION,
    ...DATA_DIR_OPTION,
    agency: { type: 'string' },
    host: { type: 'string', multiple: true },
    format: { type: 'string', default: 'oscal' },
    all: { type: 'boolean', default: false },
    validate: { type: 'boolean', default: false },
    output: { type: 'string' },
    'as-of': { type: 'string' },
    'cadence-days': { type: 'string', default: '30' },
  }, true);
  if (values.help) {
    io.stdout.write(REPORT_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new AppError('ERR_USAGE', `unexpected arguments: ${positionals.join(' ')}`);
  if (!values.agency) throw new AppError('ERR_USAGE', 'rampart report needs --agency A');
  const format = values.format as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new AppError('ERR_USAGE', `--format must be one of ${FORMATS.join(', ')}; got "${values.format}"`);
  if (values.validate && format !== 'oscal') throw new AppError('ERR_USAGE', '--validate only applies to --format oscal');

  const config = configFor(values, io.env);
  const now = new Date().toISOString();
  const asOf = values['as-of'] === undefined ? undefined : parseDate(values['as-of'], '--as-of');
  const cadenceDays = /^\d+$/.test(values['cadence-days']) ? Number(values['cadence-days']) : NaN;
  if (!Number.isInteger(cadenceDays)) throw new AppError('ERR_USAGE', `--cadence-days takes a whole number of days, not "${values['cadence-days']}"`);
  const obligations = cadenceDays > 0 ? hostScanObligations((await loadDirectives(directivesFile())).values()) : [];
  const model = await withStore(config, (s) =>
    s.agencyEvidence({
      agency: values.agency!,
      ...(values.host ? { hosts: values.host } : {}),
      now,
      ...(asOf ? { asOf } : {}),
      ...(obligations.length ? { cadence: { obligations, periodDays: cadenceDays } } : {}),
    }),
  );
  let text: string;
  if (format === 'json') text = JSON.stringify(model, null, 2) + '\n';
  else if (format === 'csv') text = (await import('../../shared/reports/csv.js')).findingsCsv(model, { all: values.all });
  else if (format === 'html') text = (await import('../../shared/reports/html.js')).htmlReport(model);
  else {
    const doc = (await import('../../shared/oscal/from-evidence.js')).evidenceToOscal(model);
    if (values.validate) (await import('../../shared/oscal/validate.js')).assertValidOscal(doc);
    text = JSON.stringify(doc, null, 2) + '\n';
  }
  if (values.output) await writeFile(values.output, text);
  else io.stdout.write(text);
  return EXIT.ok;
}
