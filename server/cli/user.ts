/**
 * @module `rampart server user add NAME --role admin [--agency A]`: creates an API user and
 * prints its bearer token once (stored hashed).
 */
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { ROLES, type Role } from '../store/store.js';
import { API_TOKEN_PREFIX, generateToken, hashToken } from '../tokens.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, withStore, type ServerCommandIO } from './cli-io.js';

export const USER_HELP = `Usage: rampart server user add NAME --role ROLE [--agency A] [--data-dir DIR]

Create an API user and print its bearer token once (send it as "Authorization: Bearer TOKEN").

Options:
  --role ROLE           admin (everything), soc (reads every agency), agency-viewer (reads --agency only).
  --agency A            The user's agency (required for agency-viewer).
${DATA_DIR_HELP}
  -h, --help            Show this help.
`;

export async function userCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...HELP_OPTION, ...DATA_DIR_OPTION, role: { type: 'string' }, agency: { type: 'string' } }, true);
  if (values.help) {
    io.stdout.write(USER_HELP);
    return EXIT.ok;
  }
  const [action, name, ...rest] = positionals;
  if (action !== 'add' || !name || rest.length > 0) throw new AppError('ERR_USAGE', 'usage: rampart server user add NAME --role ROLE [--agency A]');
  if (!values.role || !ROLES.includes(values.role as Role)) throw new AppError('ERR_USAGE', `--role must be one of ${ROLES.join(', ')}`);
  if (values.role === 'agency-viewer' && !values.agency) throw new AppError('ERR_USAGE', 'an agency-viewer needs --agency');
  const config = configFor(values, io.env);
  const token = generateToken(API_TOKEN_PREFIX);
  const user = await withStore(config, (s) =>
    s.createUser({ name, role: values.role as Role, agencyName: values.agency, tokenHash: hashToken(token), now: new Date().toISOString() }),
  );
  io.stdout.write(`${token}\n`);
  process.stderr.write(`user "${user.name}" (${user.role}${user.agencyName ? `, ${user.agencyName}` : ''}) created; the token is shown only once\n`);
  return EXIT.ok;
}
