/**
 * @module `rampart kev update|status`: load a CISA KEV catalog file into the agent's data
 * directory (validated first, written atomically), so air-gapped sites refresh it from a file the
 * collector or a user provides; and show which catalog scans will use.
 */
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AppError, isAppError } from '../../shared/errors.js';
import { parseKevCatalog } from '../../shared/kev.js';
import { writeFileAtomic } from '../daemon/atomic-file.js';
import { KEV_FILE_NAME, defaultKevDir, loadKev } from '../sources/kev-catalog.js';
import { EXIT, parse, reportError } from './args.js';

export const KEV_HELP = `Usage: rampart kev <command> [options]

The CISA Known Exploited Vulnerabilities catalog the agent uses to mark KEV-listed CVEs
(ai-workloads pack and vulnerable-version checks). Scans read it once per scan.

Commands:
  update FILE          Validate FILE (CISA's known_exploited_vulnerabilities.json feed format) and
                       install it as the agent's catalog. A malformed file is rejected with
                       ERR_KEV_INVALID and the installed catalog is left untouched.
      --data-dir DIR   Where to install it (default: $RAMPART_KEV_DIR, else /var/lib/rampart-agent/kev
                       for root, else ./.rampart/kev).
  status               Show which catalog a scan would use (RAMPART_KEV_FILE overrides the data dir).
      --format FORMAT  text (default) or json.

Examples:
  rampart kev update /media/usb/known_exploited_vulnerabilities.json
  RAMPART_KEV_FILE=/srv/kev/kev.json rampart scan
`;

export interface KevCommandIO {
  stdout: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function kevCommand(argv: string[], io: KevCommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(KEV_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === 'update') return update(rest, io);
  if (sub === 'status') return status(rest, io);
  throw new AppError('ERR_USAGE', `unknown kev command "${sub}"; try: rampart kev --help`);
}

async function update(argv: string[], io: KevCommandIO): Promise<number> {
  const { values, positionals } = parse(argv, { 'data-dir': { type: 'string' } }, true);
  if (positionals.length !== 1) throw new AppError('ERR_USAGE', 'kev update takes exactly one FILE');
  const cwd = io.cwd ?? process.cwd();
  const source = path.resolve(cwd, positionals[0]!);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let catalog;
  try {
    catalog = parseKevCatalog(text, source);
  } catch (err) {
    // A bad catalog is an input error (exit 2), like a bad pack.
    if (isAppError(err) && err.code === 'ERR_KEV_INVALID') {
      reportError(err, io.stderr);
      return EXIT.usage;
    }
    throw err;
  }
  const dir = values['data-dir'] ? path.resolve(cwd, values['data-dir']) : defaultKevDir(io.env, cwd);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, KEV_FILE_NAME);
  await writeFileAtomic(target, text, { mode: 0o644 });
  io.stdout.write(`installed KEV catalog ${catalog.catalogVersion} (${catalog.count} entries, released ${catalog.dateReleased}) at ${target}\n`);
  return EXIT.ok;
}

async function status(argv: string[], io: KevCommandIO): Promise<number> {
  const { values } = parse(argv, { format: { type: 'string', default: 'text' } });
  const kev = await loadKev(io.env, io.cwd ?? process.cwd());
  const out =
    kev.status === 'loaded'
      ? { status: 'loaded', file: kev.file, catalogVersion: kev.catalog.catalogVersion, dateReleased: kev.catalog.dateReleased, count: kev.catalog.count }
      : kev.status === 'invalid'
        ? { status: 'invalid', file: kev.file, message: kev.message }
        : { status: 'missing', tried: kev.tried };
  if (values.format === 'json') io.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else if (out.status === 'loaded') io.stdout.write(`KEV catalog ${out.catalogVersion} (${out.count} entries, released ${out.dateReleased}) from ${out.file}\n`);
  else if (out.status === 'invalid') io.stdout.write(`KEV catalog at ${out.file} is invalid: ${out.message}\n`);
  else io.stdout.write(`no KEV catalog; looked at ${(out.tried ?? []).join(', ')}. Load one with: rampart kev update FILE\n`);
  return kev.status === 'loaded' ? EXIT.ok : EXIT.failure;
}
