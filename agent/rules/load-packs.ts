/**
 * @module Load the packs a scan runs: read each file, apply tailoring, compile, and check
 * rule ids are unique across packs. Throws one AppError carrying every issue found.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { TailoringSchema, type Tailoring } from '../../shared/rule-pack.js';
import type { CompiledPack } from './compiled.js';
import { compilePack, sha256 } from './compile-pack.js';
import { loadDirectives, type DirectiveIndex } from './directives.js';
import { formatIssue, formatPath, type PackIssue } from './pack-issue.js';
import { directivesFile, shippedRulesDir } from './paths.js';
import { lineOf, parseYamlSource } from './yaml-source.js';

export interface LoadedTailoring {
  tailoring: Tailoring;
  sha256: string;
  file: string;
}

export interface LoadedPacks {
  packs: CompiledPack[];
  directives: DirectiveIndex;
  tailoring?: LoadedTailoring;
}

/** Every pack shipped in rules/ (all *.yaml except the directives catalog), sorted by name. */
export async function shippedPackFiles(rulesDir = shippedRulesDir()): Promise<string[]> {
  const names = await readdir(rulesDir);
  return names
    .filter((n) => /\.ya?ml$/.test(n) && n !== 'directives.yaml' && !n.startsWith('_'))
    .sort()
    .map((n) => path.join(rulesDir, n));
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function parseTailoring(text: string, file: string): { tailoring?: Tailoring; issues: PackIssue[] } {
  const src = parseYamlSource(text, file);
  if (src.syntaxErrors.length > 0) {
    return { issues: src.syntaxErrors.map((e) => ({ code: 'ERR_TAILORING_INVALID', file, path: '(root)', line: e.line, message: `YAML syntax: ${e.message}` })) };
  }
  const parsed = TailoringSchema.safeParse(src.data);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => {
        const line = lineOf(src, i.path as (string | number)[]);
        return { code: 'ERR_TAILORING_INVALID', file, path: formatPath(i.path), message: i.message, ...(line === undefined ? {} : { line }) };
      }),
    };
  }
  return { tailoring: parsed.data, issues: [] };
}

export interface LoadOptions {
  packFiles?: string[];
  tailoringFile?: string;
  directivesPath?: string;
}

/** Load, tailor and compile packs; throws AppError(ERR_PACK_* / ERR_TAILORING_INVALID) listing every issue. */
export async function loadPacks(options: LoadOptions = {}): Promise<LoadedPacks> {
  const directives = await loadDirectives(options.directivesPath ?? directivesFile());
  const files = options.packFiles && options.packFiles.length > 0 ? options.packFiles : await shippedPackFiles();
  let tailoring: LoadedTailoring | undefined;
  const issues: PackIssue[] = [];
  if (options.tailoringFile) {
    const text = await readText(options.tailoringFile, 'tailoring file');
    const t = parseTailoring(text, options.tailoringFile);
    if (!t.tailoring) throw issuesError('ERR_TAILORING_INVALID', t.issues);
    tailoring = { tailoring: t.tailoring, sha256: sha256(text), file: options.tailoringFile };
  }
  const packs: CompiledPack[] = [];
  const texts = await Promise.all(files.map((f) => readText(f, 'rule pack')));
  const packIds = new Set<string>();
  files.forEach((file, i) => {
    const text = texts[i]!;
    // Peek at the id so tailoring parameters reach the right pack.
    const first = compilePack(text, file, { directives });
    const values = first.packId ? tailoring?.tailoring.parameters[first.packId] : undefined;
    const result = values ? compilePack(text, file, { directives, parameterValues: values }) : first;
    issues.push(...result.issues);
    if (result.pack) {
      if (packIds.has(result.pack.ref.id)) {
        issues.push({ code: 'ERR_PACK_DUPLICATE_ID', file, path: 'pack.id', message: `pack id ${result.pack.ref.id} is loaded twice` });
      }
      packIds.add(result.pack.ref.id);
      packs.push(result.pack);
    }
  });
  const owner = new Map<string, string>();
  for (const pack of packs) {
    for (const r of pack.rules) {
      const other = owner.get(r.rule.id);
      if (other !== undefined) {
        issues.push({ code: 'ERR_PACK_DUPLICATE_ID', file: pack.file, ruleId: r.rule.id, path: 'rules', message: `rule id ${r.rule.id} is also defined in pack ${other}` });
      }
      owner.set(r.rule.id, pack.ref.id);
    }
  }
  if (tailoring) {
    const t = tailoring.tailoring;
    for (const packId of Object.keys(t.parameters)) {
      if (!packIds.has(packId)) issues.push({ code: 'ERR_TAILORING_INVALID', file: tailoring.file, path: `parameters.${packId}`, message: `no loaded pack has id ${packId}` });
    }
    const rulesById = new Map(packs.flatMap((p) => p.rules.map((r) => [r.rule.id, r] as const)));
    for (const d of t.disable) {
      const r = rulesById.get(d.rule);
      if (!r) issues.push({ code: 'ERR_TAILORING_INVALID', file: tailoring.file, path: 'disable', message: `no loaded rule has id ${d.rule}` });
      else r.disabledReason = d.reason;
    }
    for (const [id, severity] of Object.entries(t.severity)) {
      const r = rulesById.get(id);
      if (!r) issues.push({ code: 'ERR_TAILORING_INVALID', file: tailoring.file, path: `severity.${id}`, message: `no loaded rule has id ${id}` });
      else r.rule = { ...r.rule, severity };
    }
  }
  if (issues.length > 0) throw issuesError(issues[0]!.code, issues);
  return tailoring ? { packs, directives, tailoring } : { packs, directives };
}

export function issuesError(code: PackIssue['code'], issues: PackIssue[]): AppError {
  return new AppError(code, `${issues.length} problem(s):\n${issues.map(formatIssue).join('\n')}`, { details: issues });
}
