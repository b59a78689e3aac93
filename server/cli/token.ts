/**
 * @module `rampart server token create --agency NAME [--expires 7d] [--uses N]`: prints a one-time
 * enrollment token once; only its sha256 hash is stored.
 */
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { ENROLL_TOKEN_PREFIX, generateToken, hashToken } from '../tokens.js';
import { auditAdmin, cliActor } from '../store/admin-audit.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, parseDuration, positiveInt, withStore, type ServerCommandIO } from './cli-io.js';

export const TOKEN_HELP = `Usage: rampart server token create --agency NAME [--expires 7d] [--uses N] [--data-dir DIR]

Create an enrollment token for an agency and print it once (it is stored hashed and cannot be shown again).
Hosts enroll with: rampart agent enroll --server URL --token TOKEN

Options:
  --agency NAME         Agency the enrolled hosts join (required).
  --expires DURATION    Lifetime: 45s, 30m, 12h, 7d, 2w (default 7d).
  --uses N              How many hosts may enroll with it (default 1).
${DATA_DIR_HELP}
  -h, --help            Show this help.
`;

export async function tokenCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...HELP_OPTION, ...DATA_DIR_OPTION, agency: { type: 'string' }, expires: { type: 'string' }, uses: { type: 'string' } },
    true,
  );
  if (values.help) {
    io.stdout.write(TOKEN_HELP);
    return EXIT.ok;
  }
  if (positionals[0] !== 'create' || positionals.length > 1) throw new AppError('ERR_USAGE', 'usage: rampart server token create --agency NAME [--expires 7d] [--uses N]');
  if (!values.agency) throw new AppError('ERR_USAGE', '--agency NAME is required');
  const ttl = parseDuration(values.expires ?? '7d', '--expires');
  const uses = values.uses === undefined ? 1 : positiveInt(values.uses, '--uses');
  const config = configFor(values, io.env);
  const token = generateToken(ENROLL_TOKEN_PREFIX);
  const now = new Date();
  const created = await withStore(config, async (s) => {
    const made = await s.createEnrollToken({ agencyName: values.agency!, tokenHash: hashToken(token), expiresAt: new Date(now.getTime() + ttl).toISOString(), uses, now: now.toISOString() });
    // Never the token or its hash: who made a token for which agency, how many uses, until when.
    await auditAdmin(s, { actor: cliActor(), action: 'token.create', objectType: 'enroll-token', objectId: made.agency.name, after: { agency: made.agency.name, uses: made.uses, expiresAt: made.expiresAt } });
    return made;
  });
  io.stdout.write(`${token}\n`);
  process.stderr.write(`enrollment token for agency "${created.agency.name}", ${uses} use(s), expires ${created.expiresAt}; it is shown only once\n`);
  return EXIT.ok;
}
