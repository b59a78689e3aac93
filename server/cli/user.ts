/**
 * @module `rampart server user add NAME --role admin|soc|agency-viewer [--agency A]`: creates an API
 * user and prints its bearer token once (stored hashed); `user revoke NAME` ends that token at once.
 */
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { ROLES, type Role } from '../store/store.js';
import { API_TOKEN_PREFIX, generateToken, hashToken } from '../tokens.js';
import { auditAdmin, cliActor } from '../store/admin-audit.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, withStore, type ServerCommandIO } from './cli-io.js';

export const USER_HELP = `Usage: rampart server user add NAME --role ROLE [--agency A] [--data-dir DIR]
       rampart server user revoke NAME [--data-dir DIR]

add: create an API user and print its bearer token once (send it as "Authorization: Bearer TOKEN",
or paste it into the dashboard's sign-in). revoke: the token stops working at once, and the user's
open live dashboards close within seconds.

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
  if (action === 'revoke') {
    if (!name || rest.length > 0) throw new AppError('ERR_USAGE', 'usage: rampart server user revoke NAME');
    const config = configFor(values, io.env);
    const revoked = await withStore(config, async (s) => {
      const ok = await s.revokeUser(name, new Date().toISOString());
      if (ok) await auditAdmin(s, { actor: cliActor(), action: 'user.revoke', objectType: 'user', objectId: name });
      return ok;
    });
    if (!revoked) throw new AppError('ERR_NOT_FOUND', `user "${name}" does not exist`);
    io.stdout.write(`user "${name}" revoked; its token no longer works\n`);
    return EXIT.ok;
  }
  if (action !== 'add' || !name || rest.length > 0) throw new AppError('ERR_USAGE', 'usage: rampart server user add NAME --role ROLE [--agency A] | user revoke NAME');
  if (!values.role || !ROLES.includes(values.role as Role)) throw new AppError('ERR_USAGE', `--role must be one of ${ROLES.join(', ')}`);
  if (values.role === 'agency-viewer' && !values.agency) throw new AppError('ERR_USAGE', 'an agency-viewer needs --agency');
  if (values.role !== 'agency-viewer' && values.agency) throw new AppError('ERR_USAGE', `--agency applies to agency-viewer only; ${values.role} reads every agency`);
  const config = configFor(values, io.env);
  const token = generateToken(API_TOKEN_PREFIX);
  const user = await withStore(config, async (s) => {
    const made = await s.createUser({ name, role: values.role as Role, agencyName: values.agency, tokenHash: hashToken(token), now: new Date().toISOString() });
    await auditAdmin(s, { actor: cliActor(), action: 'user.create', objectType: 'user', objectId: made.name, after: { name: made.name, role: made.role, agency: made.agencyName } });
    return made;
  });
  io.stdout.write(`${token}\n`);
  process.stderr.write(`user "${user.name}" (${user.role}${user.agencyName ? `, ${user.agencyName}` : ''}) created; the token is shown only once\n`);
  return EXIT.ok;
}
