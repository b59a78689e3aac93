/**
 * @module Validate OSCAL assessment results against NIST's official OSCAL 1.1.2 JSON schema
 * (a byte-identical copy in shared/oscal/schema/, see its README) with Ajv and ajv-formats.
 * Compiling the schema takes a noticeable moment, so scans never load this unless asked (--validate).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppError } from '../errors.js';

export const AR_SCHEMA_FILE = 'oscal_assessment-results_schema.json';

/** Where the schema copy lives: beside this module in the source tree, or under shared/ next to dist/. */
export function defaultSchemaPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'schema', AR_SCHEMA_FILE), path.join(here, '..', 'shared', 'oscal', 'schema', AR_SCHEMA_FILE)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new AppError('ERR_FILE_NOT_FOUND', `OSCAL schema not found; looked in ${candidates.join(', ')}`);
  return found;
}

export interface OscalValidation {
  valid: boolean;
  /** One line per problem: the JSON pointer into the document and what is wrong. */
  errors: string[];
}

const compiled = new Map<string, ValidateFunction>();

/** A compiled validator for a schema file (cached per path). */
export function oscalValidator(schemaPath: string = defaultSchemaPath()): (doc: unknown) => OscalValidation {
  let validate = compiled.get(schemaPath);
  if (!validate) {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
    // Draft-07 Ajv (not ajv/dist/2020), formats on, unicodeRegExp left on: OSCAL token patterns use \p{L}.
    const ajv = new (Ajv as unknown as typeof Ajv.default)({ allErrors: true });
    (addFormats as unknown as typeof addFormats.default)(ajv);
    validate = ajv.compile(schema);
    compiled.set(schemaPath, validate);
  }
  const fn = validate;
  return (doc) => {
    const valid = fn(doc) === true;
    return { valid, errors: valid ? [] : (fn.errors ?? []).map(describe) };
  };
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`;
}

/** Validate and throw ERR_OSCAL_INVALID listing the first problems. */
export function assertValidOscal(doc: unknown, schemaPath?: string): void {
  const r = oscalValidator(schemaPath)(doc);
  if (!r.valid) {
    throw new AppError('ERR_OSCAL_INVALID', `the OSCAL document has ${r.errors.length} schema error(s): ${r.errors.slice(0, 5).join('; ')}`, { details: { errors: r.errors } });
  }
}
