/**
 * @module The `rampart` command: a thin front door that routes to agent-side commands
 * (scan, rules, agent) and lazily loads server-side ones (server, report, demo), so a
 * local scan never pays for the collector's dependencies.
 */
import { AppError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { EXIT, reportError } from '../agent/cli/args.js';
import { leanCompiler } from '../agent/daemon/lean-runtime.js';

// The long-running daemon: no optimizing compilers, before any more of our code is compiled
// (agent/daemon/lean-runtime.ts; measured 3.5 MB less idle RSS than setting them in `agent run`).
if (process.argv[2] === 'agent' && process.argv[3] === 'run') leanCompiler();

const HELP = `Usage: rampart <command> [options]

Network-hardening compliance for federal hosts: scan, stream, prove.

Host commands:
  scan                 Scan this host (or --root DIR) and report every verdict with evidence.
  rules lint|probes|keygen|sign|verify
                       Validate rule packs; list probe types; sign and verify pack bundles.
  kev update|status    Load a CISA KEV catalog file (air-gapped refresh); show the one in use.
  agent enroll|run|status|install-service
                       Enroll with a collector and stream results to it.

Collector commands:
  server start|agency|token|user|agent|waiver|pack|package
                       Run the collector; administer agencies, tokens, users, agents, waivers,
                       published packs and agent installers.
  report --agency A [--format oscal|csv|html|json]
                       Evidence for an agency from the collector's data (docs/evidence.md).
  demo                 Start a collector with a demo agency and a local agent (what \`npm start\` runs).

Run \`rampart <command> --help\` for the options of each command.
  -v, --version        Print the version.

Exit codes: 0 ok, 1 findings at or above the threshold, 2 usage or input error, 3 runtime failure.
`;

type Handler = (argv: string[]) => Promise<number>;

const io = { stdout: process.stdout, env: process.env };

const COMMANDS: Record<string, Handler> = {
  scan: async (argv) => (await import('../agent/cli/scan.js')).scanCommand(argv, io),
  rules: async (argv) => (await import('../agent/cli/rules.js')).rulesCommand(argv, io),
  kev: async (argv) => (await import('../agent/cli/kev.js')).kevCommand(argv, io),
  agent: async (argv) => (await import('../agent/cli/agent.js')).agentCommand(argv, io),
  server: async (argv) => (await import('../server/cli/server-command.js')).serverCommand(argv, io),
  report: async (argv) => (await import('../server/cli/report.js')).reportMain(argv, io),
  demo: async (argv) => (await import('../server/cli/demo.js')).demoCommand(argv, io),
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
    process.stdout.write(`rampart ${VERSION}\n`);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler) throw new AppError('ERR_USAGE', `unknown command "${command}"; run \`rampart --help\``);
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
