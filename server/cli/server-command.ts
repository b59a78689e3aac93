/**
 * @module `rampart server ...`: routes to start, agency, token, user and agent. Loaded lazily by
 * bin/rampart.ts so `rampart scan` never loads fastify or SQLite.
 */
import { AppError, isAppError, type ErrorCode } from '../../shared/errors.js';
import { EXIT, reportError } from '../../agent/cli/args.js';
import type { ServerCommandIO } from './cli-io.js';

export const SERVER_HELP = `Usage: rampart server <command> [options]

Run and administer the collector. Every command takes --data-dir DIR (default ./.rampart/server).

Commands:
  start                            Run the collector (--port N, --host H).
  agency add NAME [--parent P]     Create an agency (or a component of one).
  agency list                      List agencies.
  token create --agency NAME       Print a one-time enrollment token (--expires 7d, --uses N).
  user add NAME --role ROLE        Create an API user (admin, soc, agency-viewer --agency A); print its token.
  user revoke NAME                 Revoke an API user's token at once.
  agent list                       List enrolled agents with delivery completeness.
  agent revoke ID                  Revoke an agent and close its live connection.
  agent exposure HOST TAG          Tag a host internet, internal or unset (BOD 26-04 Table 1).
  waiver add|list|update|remove|audit
                                   Waivers for a rule on a host, hosts or an agency, with an audit log.
  pack publish --agency A BUNDLE   Publish a signed rule pack bundle to an agency's agents.
  pack list --agency A             Newest published pack of each id for an agency.
  package --agency A --format deb|rpm|tar
                                   Agent installer with collector URL, CA and enrollment token baked in.

Run \`rampart server <command> --help\` for details.
Exit codes: 0 ok, 2 usage or input error, 3 runtime failure.
`;

/** Errors caused by what the operator typed: exit 2, like usage errors. */
const INPUT_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_USAGE',
  'ERR_CONFIG_INVALID',
  'ERR_AGENCY_EXISTS',
  'ERR_AGENCY_NOT_FOUND',
  'ERR_USER_EXISTS',
  'ERR_NOT_FOUND',
  'ERR_WAIVER_NOT_FOUND',
  'ERR_WAIVER_INVALID',
  'ERR_PACK_BUNDLE_INVALID',
  'ERR_PACK_ROLLBACK',
  'ERR_PACK_SIGNATURE',
  'ERR_PACK_UNTRUSTED_KEY',
  'ERR_PACK_UNSIGNED',
  'ERR_PACKAGE_BUILD',
]);

type Sub = (argv: string[], io: ServerCommandIO) => Promise<number>;

const SUBCOMMANDS: Record<string, () => Promise<Sub>> = {
  start: async () => (await import('./start.js')).startCommand,
  agency: async () => (await import('./agency.js')).agencyCommand,
  token: async () => (await import('./token.js')).tokenCommand,
  user: async () => (await import('./user.js')).userCommand,
  agent: async () => (await import('./agent.js')).agentCommand,
  waiver: async () => (await import('./waiver.js')).waiverCommand,
  pack: async () => (await import('./pack.js')).packCommand,
  package: async () => (await import('./package.js')).packageCommand,
};

export async function serverCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(SERVER_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    const load = SUBCOMMANDS[sub];
    if (!load) throw new AppError('ERR_USAGE', `unknown server command "${sub}"; run \`rampart server --help\``);
    return await (await load())(rest, io);
  } catch (err) {
    if (isAppError(err) && INPUT_ERRORS.has(err.code)) {
      reportError(err);
      return EXIT.usage;
    }
    throw err;
  }
}
