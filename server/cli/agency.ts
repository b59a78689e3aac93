/**
 * @module `rampart server agency add NAME [--parent P]` and `rampart server agency list`.
 */
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { auditAdmin, cliActor } from '../store/admin-audit.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, table, withStore, type ServerCommandIO } from './cli-io.js';

export const AGENCY_HELP = `Usage: rampart server agency add NAME [--parent P] [--data-dir DIR]
       rampart server agency list [--json] [--data-dir DIR]

Create agencies (optionally a component of a parent agency) and list them with host counts.

Options:
  --parent P            Parent agency name (add).
  --json                Print JSON instead of a table (list).
${DATA_DIR_HELP}
  -h, --help            Show this help.
`;

export async function agencyCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...HELP_OPTION, ...DATA_DIR_OPTION, parent: { type: 'string' }, json: { type: 'boolean' } }, true);
  const [action, name, ...rest] = positionals;
  if (values.help) {
    io.stdout.write(AGENCY_HELP);
    return EXIT.ok;
  }
  const config = configFor(values, io.env);
  if (action === 'add') {
    if (!name || rest.length > 0) throw new AppError('ERR_USAGE', 'usage: rampart server agency add NAME [--parent P]');
    if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/.test(name)) throw new AppError('ERR_USAGE', 'agency names use letters, digits, space, dot, dash and underscore (max 128)');
    const agency = await withStore(config, async (s) => {
      const created = await s.createAgency(name, values.parent);
      await auditAdmin(s, { actor: cliActor(), action: 'agency.create', objectType: 'agency', objectId: created.name, after: { name: created.name, parent: created.parentName } });
      return created;
    });
    io.stdout.write(`agency "${agency.name}" created${agency.parentName ? ` (component of "${agency.parentName}")` : ''}\n`);
    return EXIT.ok;
  }
  if (action === 'list') {
    if (name) throw new AppError('ERR_USAGE', 'usage: rampart server agency list');
    const agencies = await withStore(config, (s) => s.listAgencies());
    if (values.json) io.stdout.write(JSON.stringify(agencies, null, 2) + '\n');
    else io.stdout.write(table(['NAME', 'PARENT', 'HOSTS', 'CREATED'], agencies.map((a) => [a.name, a.parentName ?? '-', String(a.hostCount), a.createdAt])));
    return EXIT.ok;
  }
  throw new AppError('ERR_USAGE', `unknown agency action "${action ?? ''}"; use add or list`);
}
