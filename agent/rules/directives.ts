/**
 * @module Load rules/directives.yaml: every directive described once, referred to by id.
 */
import { readFile } from 'node:fs/promises';
import { DirectiveCatalogSchema, type Directive } from '../../shared/directive.js';
import { AppError } from '../../shared/errors.js';
import { formatPath, type PackIssue } from './pack-issue.js';
import { lineOf, parseYamlSource } from './yaml-source.js';

export type DirectiveIndex = ReadonlyMap<string, Directive>;

export function parseDirectives(text: string, file: string): { index?: DirectiveIndex; issues: PackIssue[] } {
  const src = parseYamlSource(text, file);
  if (src.syntaxErrors.length > 0) {
    return { issues: src.syntaxErrors.map((e) => ({ code: 'ERR_PACK_YAML', file, path: '(root)', line: e.line, message: e.message })) };
  }
  const parsed = DirectiveCatalogSchema.safeParse(src.data);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => ({
        code: 'ERR_DIRECTIVES_INVALID',
        file,
        path: formatPath(i.path),
        ...lineField(lineOf(src, i.path as (string | number)[])),
        message: i.message,
      })),
    };
  }
  const index = new Map<string, Directive>();
  const issues: PackIssue[] = [];
  parsed.data.directives.forEach((d, n) => {
    if (index.has(d.id)) {
      issues.push({ code: 'ERR_DIRECTIVES_INVALID', file, path: `directives[${n}].id`, ...lineField(lineOf(src, ['directives', n, 'id'])), message: `duplicate directive id ${d.id}` });
    }
    index.set(d.id, d);
  });
  return issues.length > 0 ? { issues } : { index, issues };
}

function lineField(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

export async function loadDirectives(file: string): Promise<DirectiveIndex> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError('ERR_FILE_NOT_FOUND', `cannot read directives catalog ${file}: ${(err as Error).message}`);
  }
  const { index, issues } = parseDirectives(text, file);
  if (!index) {
    throw new AppError('ERR_DIRECTIVES_INVALID', `${file}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { details: issues });
  }
  return index;
}
