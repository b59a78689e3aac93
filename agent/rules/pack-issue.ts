/**
 * @module One problem found while loading a pack, directives catalog or tailoring file.
 */
import type { ErrorCode } from '../../shared/errors.js';

export interface PackIssue {
  code: ErrorCode;
  file: string;
  /** The rule the problem is in, when there is one. */
  ruleId?: string;
  /** Field path inside the file, e.g. `rules[3].check.params.key`. */
  path: string;
  line?: number;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

export function formatIssue(i: PackIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}`;
  const rule = i.ruleId ? ` [${i.ruleId}]` : '';
  return `${where}${rule} ${i.code} at ${i.path}: ${i.message}`;
}
