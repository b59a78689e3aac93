/**
 * @module Load the packs a scan runs: read each file, apply tailoring, compile, and check
 * rule ids are unique across packs. Throws one AppError carrying every issue found.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { Tailoring } from '../../shared/rule-pack.js';
import type { CompiledPack } from './compiled.js';
import type { DirectiveIndex } from './directives.js';
import { formatIssue, type PackIssue } from './pack-issue.js';
import {
  cacheKey,
  defaultPackCache,
  readCachedDirectives,
  readCachedPack,
  sha256Hex,
  writeCachedDirectives,
  writeCachedPack,
  type PackCache,
} from './pack-cache.js';
import { directivesFile, shippedRulesDir } from './paths.js';
// The YAML parser and the pack compiler are imported only when a pack is not in the validated-pack
// cache (pack-cache.ts), so a scan with cached packs never loads them.

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

export interface LoadOptions {
  packFiles?: string[];
  tailoringFile?: string;
  directivesPath?: string;
  /** Validated-pack cache; default: the installation's (off when running from sources); null: off. */
  cache?: PackCache | null;
}

async function loadDirectivesCached(file: string, cache: PackCache | undefined): Promise<{ index: DirectiveIndex; sha: string }> {
  const text = await readText(file, 'directives catalog').catch(() => undefined);
  const sha = text === undefined ? '' : sha256Hex(text);
  const key = cache && text !== undefined ? cacheKey(cache, 'directives', [sha]) : undefined;
  const hit = cache && key ? readCachedDirectives(cache, key) : undefined;
  if (hit) return { index: hit, sha };
  const { loadDirectives } = await import('./directives.js');
  const index = await loadDirectives(file);
  if (cache && key) writeCachedDirectives(cache, key, index);
  return { index, sha };
}

/** Load, tailor and compile packs; throws AppError(ERR_PACK_* / ERR_TAILORING_INVALID) listing every issue. */
export async function loadPacks(options: LoadOptions = {}): Promise<LoadedPacks> {
  const cache = options.cache === null ? undefined : (options.cache ?? defaultPackCache());
  const { index: directives, sha: directivesSha } = await loadDirectivesCached(options.directivesPath ?? directivesFile(), cache);
  const files = options.packFiles && options.packFiles.length > 0 ? options.packFiles : await shippedPackFiles();
  let tailoring: LoadedTailoring | undefined;
  const issues: PackIssue[] = [];
  if (options.tailoringFile) {
    const text = await readText(options.tailoringFile, 'tailoring file');
    const { parseTailoring } = await import('./tailoring-file.js');
    const t = parseTailoring(text, options.tailoringFile);
    if (!t.tailoring) throw issuesError('ERR_TAILORING_INVALID', t.issues);
    tailoring = { tailoring: t.tailoring, sha256: sha256Hex(text), file: options.tailoringFile };
  }
  const packs: CompiledPack[] = [];
  const texts = await Promise.all(files.map((f) => readText(f, 'rule pack')));
  const packIds = new Set<string>();
  const tailoredParams = JSON.stringify(tailoring?.tailoring.parameters ?? {});
  for (const [i, file] of files.entries()) {
    const text = texts[i]!;
    const key = cache ? cacheKey(cache, 'pack', [sha256Hex(text), directivesSha, tailoredParams]) : undefined;
    let pack = cache && key ? readCachedPack(cache, key, file) : undefined;
    if (!pack) {
      const { compilePack } = await import('./compile-pack.js');
      // Peek at the id so tailoring parameters reach the right pack.
      const first = compilePack(text, file, { directives });
      const values = first.packId ? tailoring?.tailoring.parameters[first.packId] : undefined;
      const result = values ? compilePack(text, file, { directives, parameterValues: values }) : first;
      issues.push(...result.issues);
      pack = result.pack;
      if (pack && cache && key) writeCachedPack(cache, key, pack);
    }
    if (pack) {
      if (packIds.has(pack.ref.id)) {
        issues.push({ code: 'ERR_PACK_DUPLICATE_ID', file, path: 'pack.id', message: `pack id ${pack.ref.id} is loaded twice` });
      }
      packIds.add(pack.ref.id);
      packs.push(pack);
    }
  }
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
