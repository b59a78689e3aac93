/**
 * @module `rampart server agent list [--agency A]` and `rampart server agent revoke ID`.
 * Revocation is written to the database; a running collector closes the live socket within
 * revocationPollMs (500 ms by default) and refuses the agent from then on.
 */
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { auditAdmin, cliActor } from '../store/admin-audit.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, table, withStore, type ServerCommandIO } from './cli-io.js';

export const AGENT_HELP = `Usage: rampart server agent list [--agency A] [--json] [--data-dir DIR]
       rampart server agent revoke ID [--data-dir DIR]

List enrolled agents with delivery completeness, or revoke one (its live connection is closed at once
and it is refused from then on; its findings close and it leaves the agency's posture).

Options:
  --agency A            Only agents of this agency (list).
  --json                Print JSON instead of a table (list).
${DATA_DIR_HELP}
  -h, --help            Show this help.
`;

export async function agentCommand(argv: string[], io: ServerCommandIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...HELP_OPTION, ...DATA_DIR_OPTION, agency: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (values.help) {
    io.stdout.write(AGENT_HELP);
    return EXIT.ok;
  }
  const [action, id, ...rest] = positionals;
  const config = configFor(values, io.env);
  if (action === 'list' && !id) {
    const agents = await withStore(config, (s) => s.listAgents(values.agency));
    if (values.json) {
      io.stdout.write(JSON.stringify(agents.map(({ publicKey: _pk, ...a }) => a), null, 2) + '\n');
    } else {
      io.stdout.write(
        table(
          ['ID', 'AGENCY', 'HOSTNAME', 'VERSION', 'LAST SEEN', 'SEQ', 'COMPLETE', 'STATE'],
          agents.map((a) => [
            a.id,
            a.agencyName,
            a.hostname,
            a.agentVersion ?? '-',
            a.lastSeenAt ?? '-',
            String(a.maxSeq),
            a.seqCount === a.maxSeq ? 'yes' : `no (${a.maxSeq - a.seqCount} missing)`,
            a.revokedAt ? `revoked ${a.revokedAt}` : 'active',
          ]),
        ),
      );
    }
    return EXIT.ok;
  }
  if (action === 'revoke' && id && rest.length === 0) {
    const found = await withStore(config, async (s) => {
      const ok = await s.revokeAgent(id, new Date().toISOString());
      if (ok) await auditAdmin(s, { actor: cliActor(), action: 'agent.revoke', objectType: 'agent', objectId: id });
      return ok;
    });
    if (!found) throw new AppError('ERR_NOT_FOUND', `no agent has id ${id}`);
    io.stdout.write(`agent ${id} revoked\n`);
    return EXIT.ok;
  }
  throw new AppError('ERR_USAGE', 'usage: rampart server agent list | rampart server agent revoke ID');
}
