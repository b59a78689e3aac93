/**
 * @module `rampart server agent list [--agency A]`, `rampart server agent revoke ID` and
 * `rampart server agent exposure HOST internet|internal|unset` (agent-exposure.ts).
 * Revocation is written to the database; a running collector closes the live socket within
 * revocationPollMs (500 ms by default) and refuses the agent from then on.
 */
import { AppError } from '../../shared/errors.js';
import { EXIT, parse } from '../../agent/cli/args.js';
import { auditAdmin, cliActor } from '../store/admin-audit.js';
import { exposureFromWord, setExposure } from '../host-exposure.js';
import { DATA_DIR_HELP, DATA_DIR_OPTION, HELP_OPTION, configFor, table, withStore, type ServerCommandIO } from './cli-io.js';

export const AGENT_HELP = `Usage: rampart server agent list [--agency A] [--json] [--data-dir DIR]
       rampart server agent revoke ID [--data-dir DIR]
       rampart server agent exposure HOST internet|internal|unset [--data-dir DIR]

List enrolled agents with delivery completeness and exposure tag, or revoke one (its live connection
is closed at once and it is refused from then on; its findings close and it leaves the agency's posture).

exposure tags a host (agent id or hostname) for BOD 26-04 Table 1: internet (publicly exposed),
internal, or unset (no tag; treated as exposed). Open BOD 26-04 findings of the host are re-tiered at
once from their first-seen date, and the change is written to the audit log.

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
          ['ID', 'AGENCY', 'HOSTNAME', 'VERSION', 'LAST SEEN', 'SEQ', 'COMPLETE', 'EXPOSURE', 'STATE'],
          agents.map((a) => [
            a.id,
            a.agencyName,
            a.hostname,
            a.agentVersion ?? '-',
            a.lastSeenAt ?? '-',
            String(a.maxSeq),
            a.seqCount === a.maxSeq ? 'yes' : `no (${a.maxSeq - a.seqCount} missing)`,
            a.exposure ?? 'unset',
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
  if (action === 'exposure' && id && rest.length === 1) {
    const exposure = exposureFromWord(rest[0]!);
    const change = await withStore(config, async (s) => {
      const agent = await s.findHost(id);
      if (!agent) throw new AppError('ERR_NOT_FOUND', `no agent has id or hostname ${id}`);
      return { agent, ...(await setExposure(s, agent, exposure, cliActor())) };
    });
    io.stdout.write(
      `${change.agent.hostname} (${change.agent.id}): exposure ${change.before ?? 'unset'} -> ${change.after ?? 'unset (treated as internet-exposed)'}; ` +
        `${change.findingsRetiered} open BOD 26-04 finding${change.findingsRetiered === 1 ? '' : 's'} re-tiered\n`,
    );
    return EXIT.ok;
  }
  throw new AppError('ERR_USAGE', 'usage: rampart server agent list | revoke ID | exposure HOST internet|internal|unset');
}
