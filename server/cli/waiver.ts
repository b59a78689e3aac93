/**
 * @module `rampart server waiver add|list|update|remove|audit`: waivers for a rule on one host, a
 * set of hosts or a whole agency, with every change in the append-only audit log.
 */
import { userInfo } from 'node:os';
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import type { AuditEntry, WaiverRecord } from '../store/waivers.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, parseDuration, table, withStore, type ServerCommandIO } from './cli-io.js';

export const WAIVER_HELP = `Usage: rampart server waiver add --agency A --rule RULE [--host H]... --justification TEXT
                                  --approver WHO --risk LEVEL (--until DATE | --expires 90d) [--start DATE]
       rampart server waiver list [--agency A] [--all] [--json]
       rampart server waiver update ID [--justification TEXT] [--approver WHO] [--risk LEVEL] [--until DATE | --expires 30d]
       rampart server waiver remove ID [--reason TEXT]
       rampart server waiver audit [--waiver ID] [--json]

A waiver lets one rule fail without counting as failed, until it expires: on one host (--host once),
on a set of hosts (--host several times) or on every host of the agency (no --host). After expiry or
removal the failure counts as failed again by itself. Every add, update and remove is recorded in an
append-only audit log with who, when, and the waiver before and after.

Options:
  --agency A            Agency name or id (add: required; list: filter).
  --rule RULE           Rule id, e.g. linux.ssh.root-login-disabled.
  --host H              Agent id or hostname in the agency (repeatable).
  --justification TEXT  Why the rule cannot be met (at least 10 characters).
  --approver WHO        Who approved the exception (name or e-mail).
  --risk LEVEL          Accepted risk: low, medium, high or critical.
  --start DATE          When the waiver starts counting (default: now). YYYY-MM-DD (UTC) or RFC 3339.
  --until DATE          When it stops counting. YYYY-MM-DD (UTC midnight) or RFC 3339.
  --expires DURATION    Or: how long after the start it stops counting (e.g. 90d, 12w).
  --reason TEXT         Why the waiver is removed (remove; kept in the audit log).
  --by WHO              Who makes the change (default: cli:<login name>).
  --all                 List expired, future and removed waivers too.
  --json                Print JSON.
${DATA_DIR_HELP}
  -h, --help            Show this help.
`;

/** YYYY-MM-DD (UTC midnight) or an RFC 3339 date-time with an offset, as an ISO string. */
export function parseDate(text: string, flag: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00.000Z` : text;
  const t = Date.parse(day);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(day) || Number.isNaN(t)) {
    throw new AppError('ERR_USAGE', `${flag} takes a date like 2026-12-31 or 2026-12-31T17:00:00Z, not "${text}"`);
  }
  return new Date(t).toISOString();
}

function actorOf(by: string | undefined): string {
  if (by !== undefined) {
    if (!by.trim()) throw new AppError('ERR_USAGE', '--by must name who makes the change');
    return by.trim();
  }
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return `cli:${name}`;
}

function waiverLine(w: WaiverRecord): string[] {
  const where = w.scope === 'agency' ? `agency ${w.agencyName}` : w.hosts.map((h) => h.hostname).join(', ');
  return [w.id, w.state, w.ruleId, where, w.risk, w.startsAt.slice(0, 10), w.expiresAt.slice(0, 10), w.approver];
}

function auditLine(e: AuditEntry): string[] {
  return [String(e.id), e.at, e.actor, e.action, e.objectId];
}

export async function waiverCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...HELP_OPTION,
      ...DATA_DIR_OPTION,
      agency: { type: 'string' },
      rule: { type: 'string' },
      host: { type: 'string', multiple: true },
      justification: { type: 'string' },
      approver: { type: 'string' },
      risk: { type: 'string' },
      start: { type: 'string' },
      until: { type: 'string' },
      expires: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      waiver: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(WAIVER_HELP);
    return EXIT.ok;
  }
  const [action, id, ...rest] = positionals;
  if (rest.length > 0) throw new AppError('ERR_USAGE', `unexpected arguments: ${rest.join(' ')}`);
  const config = configFor(values, io.env);
  const now = new Date().toISOString();
  const print = (w: WaiverRecord, verb: string) =>
    io.stdout.write(values.json ? JSON.stringify(w, null, 2) + '\n' : `waiver ${w.id} ${verb}: ${w.ruleId} on ${w.scope === 'agency' ? `every host of ${w.agencyName}` : w.hosts.map((h) => h.hostname).join(', ')}, ${w.state}, ${w.startsAt} to ${w.expiresAt}\n`);
  const endOf = (start: string): string | undefined => {
    if (values.until !== undefined && values.expires !== undefined) throw new AppError('ERR_USAGE', 'give --until or --expires, not both');
    if (values.until !== undefined) return parseDate(values.until, '--until');
    if (values.expires !== undefined) return new Date(Date.parse(start) + parseDuration(values.expires, '--expires')).toISOString();
    return undefined;
  };

  if (action === 'add') {
    if (id) throw new AppError('ERR_USAGE', 'usage: rampart server waiver add --agency A --rule RULE ... (no positional id)');
    const missing = (['agency', 'rule', 'justification', 'approver', 'risk'] as const).filter((k) => values[k] === undefined);
    if (missing.length) throw new AppError('ERR_USAGE', `waiver add needs ${missing.map((m) => `--${m}`).join(', ')}`);
    const startsAt = values.start !== undefined ? parseDate(values.start, '--start') : now;
    const expiresAt = endOf(startsAt);
    if (!expiresAt) throw new AppError('ERR_USAGE', 'waiver add needs --until DATE or --expires DURATION: waivers always end');
    const w = await withStore(config, (s) =>
      s.waivers.addWaiver(
        { agency: values.agency!, ruleId: values.rule!, hosts: values.host ?? [], justification: values.justification!, approver: values.approver!, risk: values.risk as 'low', startsAt, expiresAt },
        actorOf(values.by),
        now,
      ),
    );
    print(w, 'added');
    return EXIT.ok;
  }
  if (action === 'list') {
    if (id) throw new AppError('ERR_USAGE', 'usage: rampart server waiver list [--agency A] [--all]');
    const list = await withStore(config, async (s) => {
      const agency = values.agency === undefined ? undefined : await s.findAgency(values.agency);
      if (values.agency !== undefined && !agency) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${values.agency}" does not exist`);
      return s.waivers.listWaivers({ ...(agency ? { agencyId: agency.id } : {}), all: values.all ?? false }, now);
    });
    if (values.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n');
    else io.stdout.write(table(['ID', 'STATE', 'RULE', 'HOSTS', 'RISK', 'START', 'EXPIRY', 'APPROVER'], list.map(waiverLine)));
    return EXIT.ok;
  }
  if (action === 'update') {
    if (!id) throw new AppError('ERR_USAGE', 'usage: rampart server waiver update ID [--until DATE] ...');
    const w = await withStore(config, async (s) => {
      const current = await s.waivers.getWaiver(id, now);
      if (!current) throw new AppError('ERR_WAIVER_NOT_FOUND', `no waiver ${id}`);
      const expiresAt = endOf(current.startsAt);
      return s.waivers.updateWaiver(
        id,
        {
          ...(values.justification !== undefined ? { justification: values.justification } : {}),
          ...(values.approver !== undefined ? { approver: values.approver } : {}),
          ...(values.risk !== undefined ? { risk: values.risk as 'low' } : {}),
          ...(expiresAt !== undefined ? { expiresAt } : {}),
        },
        actorOf(values.by),
        now,
      );
    });
    print(w, 'updated');
    return EXIT.ok;
  }
  if (action === 'remove') {
    if (!id) throw new AppError('ERR_USAGE', 'usage: rampart server waiver remove ID [--reason TEXT]');
    const w = await withStore(config, (s) => s.waivers.removeWaiver(id, actorOf(values.by), now, values.reason));
    print(w, 'removed');
    return EXIT.ok;
  }
  if (action === 'audit') {
    if (id) throw new AppError('ERR_USAGE', 'usage: rampart server waiver audit [--waiver ID]');
    const entries = await withStore(config, (s) => s.waivers.auditLog(values.waiver ? { objectId: values.waiver } : {}));
    if (values.json) io.stdout.write(JSON.stringify(entries, null, 2) + '\n');
    else io.stdout.write(table(['#', 'AT', 'WHO', 'ACTION', 'WAIVER'], entries.map(auditLine)));
    return EXIT.ok;
  }
  throw new AppError('ERR_USAGE', `unknown waiver action "${action ?? ''}"; use add, list, update, remove or audit`);
}
