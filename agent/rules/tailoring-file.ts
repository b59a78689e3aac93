/**
 * @module Parse and validate a tailoring file (YAML), every problem with its field path and line.
 */
import { TailoringSchema, type Tailoring } from '../../shared/rule-pack.js';
import { formatPath, type PackIssue } from './pack-issue.js';
import { lineOf, parseYamlSource } from './yaml-source.js';

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
