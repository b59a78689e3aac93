/**
 * @module The tiny query adapter the dialect-neutral store code (waivers, evidence, cadence, waiver
 * effects) reads through, so one module serves SQLite and PostgreSQL. Its SQL is the common subset
 * of both: `?` placeholders, snake_case column aliases (PostgreSQL folds unquoted aliases to lower
 * case), text times compared as text, integers read as JS numbers.
 */

export interface SqlReader {
  all<T>(sql: string, args?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, args?: readonly unknown[]): Promise<T | undefined>;
  /**
   * Run several reads against one snapshot. PostgreSQL: one REPEATABLE READ READ ONLY transaction,
   * so another replica's commit cannot land between them. SQLite: the reads simply run in turn on
   * the one connection (each is synchronous; no new ingest batch starts between microtasks).
   */
  snapshot<T>(fn: (reader: SqlReader) => Promise<T>): Promise<T>;
}

/** `?, ?, ?` for an IN list of n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Lists cut into pieces small enough for one statement's parameters on either database. */
export function chunked<T>(list: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** An agency by name, or by numeric id given as a string (9 digits at most: PostgreSQL ids are int4). */
export async function agencyByRef(reader: SqlReader, ref: string): Promise<{ id: number; name: string } | undefined> {
  return (
    (await reader.get<{ id: number; name: string }>('SELECT id, name FROM agencies WHERE name = ?', [ref])) ??
    (/^\d{1,9}$/.test(ref) ? await reader.get<{ id: number; name: string }>('SELECT id, name FROM agencies WHERE id = ?', [Number(ref)]) : undefined)
  );
}
