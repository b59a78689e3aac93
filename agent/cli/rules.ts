/**
 * @module `rampart rules lint|probes`: check packs before they ship, and list the probe types.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { PROBES } from '../probes/index.js';
import { compilePack } from '../rules/compile-pack.js';
import { loadDirectives, parseDirectives } from '../rules/directives.js';
import { formatIssue, type PackIssue } from '../rules/pack-issue.js';
import { directivesFile, shippedRulesDir } from '../rules/paths.js';
import { shippedPackFiles } from '../rules/load-packs.js';
import { EXIT, parse } from './args.js';

export const RULES_HELP = `Usage: rampart rules <command> [options]

Commands:
  lint [FILE...]      Validate rule packs (default: every pack shipped in rules/) and report every
                      problem at once, each with file:line, rule id, field path and error code.
                      Exit 0 when clean, 2 when any problem is found.
      --directives FILE   Directives catalog to check references against (default: rules/directives.yaml).
      --format FORMAT     text (default) or json.
  probes              List every probe type with its parameters and observed fields.
      --format FORMAT     text (default) or json.
  keygen|sign|verify  Signed rule packs (docs/SECURITY.md):
      keygen --out DIR                      Ed25519 pair: DIR/pack-signing.key (0600) + .pub
      sign --key KEY PACK [--out BUNDLE]    Compile PACK and write a signed bundle
      verify --pubkey P BUNDLE              Verify a bundle as an agent would

Examples:
  rampart rules lint rules/linux-network-baseline.yaml
  rampart rules lint --format json my-pack.yaml
`;

export async function rulesCommand(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(RULES_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === 'lint') return lint(rest, io);
  if (sub === 'probes') return probes(rest, io);
  if (sub === 'keygen') return (await import('./rules-sign.js')).keygenCommand(rest, io);
  if (sub === 'sign') return (await import('./rules-sign.js')).signCommand(rest, io);
  if (sub === 'verify') return (await import('./rules-sign.js')).verifyCommand(rest, io);
  throw new AppError('ERR_USAGE', `unknown rules command "${sub}"; try: rampart rules --help`);
}

async function lint(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { directives: { type: 'string' }, format: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h', default: false } },
    true,
  );
  if (values.help) {
    io.stdout.write(RULES_HELP);
    return EXIT.ok;
  }
  const dirFile = values.directives ?? directivesFile();
  const issues: PackIssue[] = [];
  const dirText = await readFile(dirFile, 'utf8').catch(() => {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read directives catalog ${dirFile}`);
  });
  const dirs = parseDirectives(dirText, dirFile);
  issues.push(...dirs.issues);
  const directives = dirs.index ?? (await loadDirectives(dirFile).catch(() => new Map()));
  const files = positionals.length > 0 ? positionals : await shippedPackFiles(shippedRulesDir());
  const seen = new Map<string, string>();
  let rules = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      issues.push({ code: 'ERR_FILE_NOT_FOUND', file, path: '(root)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}` });
      continue;
    }
    const result = compilePack(text, file, { directives });
    issues.push(...result.issues);
    for (const r of result.pack?.rules ?? []) {
      rules++;
      const other = seen.get(r.rule.id);
      if (other) issues.push({ code: 'ERR_PACK_DUPLICATE_ID', file, ruleId: r.rule.id, path: 'rules', message: `rule id also defined in ${other}` });
      seen.set(r.rule.id, file);
    }
  }
  if (values.format === 'json') {
    io.stdout.write(JSON.stringify({ ok: issues.length === 0, files: files.length, rules, issues }, null, 2) + '\n');
  } else {
    for (const i of issues) io.stdout.write(formatIssue(i) + '\n');
    io.stdout.write(issues.length === 0 ? `ok: ${files.length} pack(s), ${rules} rules, no problems\n` : `${issues.length} problem(s) in ${files.length} pack(s)\n`);
  }
  return issues.length === 0 ? EXIT.ok : EXIT.usage;
}

async function probes(argv: string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values } = parse(argv, { format: { type: 'string', default: 'text' } });
  const list = PROBES.map((p) => ({ type: p.type, summary: p.summary, params: z.toJSONSchema(p.params, { io: 'input', unrepresentable: 'any' }), fields: p.fields, example: p.example }));
  if (values.format === 'json') {
    io.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const p of list) {
    io.stdout.write(`${p.type}\n  ${p.summary}\n  params: ${JSON.stringify((p.params as { properties?: unknown }).properties ?? {})}\n  fields:\n`);
    for (const [f, d] of Object.entries(p.fields)) io.stdout.write(`    ${f}: ${d}\n`);
    io.stdout.write(`  example: ${JSON.stringify(p.example)}\n\n`);
  }
  return EXIT.ok;
}
