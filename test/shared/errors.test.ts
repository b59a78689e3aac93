import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERRORS, ERROR_CODES } from '../../shared/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...doc.matchAll(/^\|\s*`(ERR_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]));

describe('error table', () => {
  it('documents every code in docs/errors.md', () => {
    const missing = ERROR_CODES.filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });

  it('has no documented code that the code does not define', () => {
    const extra = [...documented].filter((c) => !Object.hasOwn(ERRORS, c as string));
    expect(extra).toEqual([]);
  });

  it('names every code ERR_<AREA>_<WHAT> with a summary and a fix', () => {
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      expect(ERRORS[code].summary.length).toBeGreaterThan(10);
      expect(ERRORS[code].fix.length).toBeGreaterThan(10);
    }
  });

  it('carries the code, fix and structured details on AppError', () => {
    const err = new AppError('ERR_PACK_SCHEMA', 'bad field', { details: { path: 'rules[0]' } });
    expect(err.code).toBe('ERR_PACK_SCHEMA');
    expect(err.fix).toContain('docs/rules.md');
    expect(err.toJSON()).toEqual({ code: 'ERR_PACK_SCHEMA', message: 'bad field', details: { path: 'rules[0]' } });
  });
});
