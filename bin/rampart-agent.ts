/**
 * @module The `rampart-agent` command: the agent-side subset of `rampart` (scan, rules lint|probes,
 * kev, agent enroll|run|status|install-service) and nothing else, so its bundle
 * (scripts/build-agent.mjs → dist/agent/rampart-agent.mjs, and the single executable built from it)
 * holds no collector code and no native addon (no better-sqlite3, pg or fastify on this path).
 */
import { AppError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { EXIT, reportError } from '../agent/cli/args.js';
import { leanCompiler } from '../agent/daemon/lean-runtime.js';

// The long-running daemon: no optimizing compilers, from the first line (agent/daemon/lean-runtime.ts).
if (process.argv[2] === 'agent' && process.argv[3] === 'run') leanCompiler();

const HELP = `Usage: rampart-agent <command> [options]

The Rampart agent: scan this host against the shipped rule packs and stream results to a collector.

Commands:
  scan                 Scan this host (or --root DIR) and report every verdict with evidence.
  rules lint|probes    Validate rule packs; list probe types.
  kev update|status    Load a CISA KEV catalog file (air-gapped refresh); show the one in use.
  agent enroll|run|status|install-service
                       Enroll with a collector and stream results to it.

Run \`rampart-agent <command> --help\` for the options of each command.
  -v, --version        Print the version.

Exit codes: 0 ok, 1 findings at or above the threshold, 2 usage or input error, 3 runtime failure,
4 refused by the collector.
`;

type Handler = (argv: string[]) => Promise<number>;

const io = { stdout: process.stdout, env: process.env };

/** The rules subcommands an agent host needs (signing packs is the collector operator's job). */
const AGENT_RULES = new Set(['lint', 'probes', '--help', '-h', 'help']);

const COMMANDS: Record<string, Handler> = {
  scan: async (argv) => (await import('../agent/cli/scan.js')).scanCommand(argv, io),
  rules: async (argv) => {
    if (argv[0] !== undefined && !AGENT_RULES.has(argv[0])) {
      throw new AppError('ERR_USAGE', `rampart-agent rules takes lint or probes; "${argv[0]}" is in the full \`rampart\` CLI`);
    }
    return (await import('../agent/cli/rules.js')).rulesCommand(argv, io);
  },
  kev: async (argv) => (await import('../agent/cli/kev.js')).kevCommand(argv, io),
  agent: async (argv) => (await import('../agent/cli/agent.js')).agentCommand(argv, io),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // A scan process of the agent's watchdog (agent/watchdog/) starts once per scan: straight to it.
  if (command === 'agent' && rest[0] === 'scan-worker' && rest.length === 1) return (await import('../agent/worker/boot.js')).bootScanWorker(() => import('../agent/worker/scan-worker.js'));
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`rampart-agent ${VERSION}\n`);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler) throw new AppError('ERR_USAGE', `unknown command "${command}"; run \`rampart-agent --help\``);
  return handler(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
