/**
 * @module Probe `os-release`: the distribution and release from /etc/os-release, and whether the
 * release is still vendor-supported according to an end-of-support table the pack supplies.
 */
import { z } from 'zod';
import { readFileOnce, type ScanContext } from '../engine/context.js';
import { parseOsRelease } from '../engine/facts.js';
import { defineProbe, notApplicable, observed } from './probe.js';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const EntryObject = z.strictObject({ id: z.string().min(1), version: z.string().min(1), date: IsoDate });
/** Pack parameters are flat lists, so an entry may also be written "ID VERSION YYYY-MM-DD". */
const EntryText = z
  .string()
  .regex(/^\S+\s+\S+\s+\d{4}-\d{2}-\d{2}$/, 'an entry "ID VERSION YYYY-MM-DD", e.g. "rhel 9 2032-05-31"')
  .transform((s) => {
    const [id, version, date] = s.trim().split(/\s+/) as [string, string, string];
    return { id, version, date };
  });

export type EndOfSupportEntry = z.infer<typeof EntryObject>;

/**
 * The table entry for a release: exact VERSION_ID first, then the major version ("9" covers 9.4).
 * Entries match the os-release ID, or an ID_LIKE family member when no entry names the ID.
 */
export function findEndOfSupport(table: EndOfSupportEntry[], id: string, idLike: string[], versionId: string): EndOfSupportEntry | undefined {
  const major = versionId.split('.')[0] ?? versionId;
  for (const family of [id, ...idLike]) {
    const rows = table.filter((e) => e.id === family);
    const hit = rows.find((e) => e.version === versionId) ?? rows.find((e) => e.version === major);
    if (hit) return hit;
    if (rows.length > 0) return undefined;
  }
  return undefined;
}

async function readRelease(ctx: ScanContext): Promise<{ text: string; path: string } | undefined> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await readFileOnce(ctx, path);
    if (text !== undefined) return { text, path };
  }
  return undefined;
}

export const osReleaseProbe = defineProbe({
  type: 'os-release',
  summary: 'Distribution and release from /etc/os-release, judged against a vendor end-of-support table given as a parameter.',
  params: () => z.strictObject({
    /** Vendor end-of-support dates: [{id, version, date}] or "id version YYYY-MM-DD" strings. */
    endOfSupport: z.array(z.union([EntryObject, EntryText])).default([]),
  }),
  fields: {
    id: 'ID, e.g. debian, ubuntu, rhel',
    versionId: 'VERSION_ID, e.g. 12, 22.04, 9.4',
    idLike: 'ID_LIKE families',
    prettyName: 'PRETTY_NAME',
    endOfSupportDate: 'end of vendor security support from the table (YYYY-MM-DD); null when the release is not in the table',
    supported: 'true when the scan date is on or before endOfSupportDate; null when the release is not in the table',
  },
  example: { endOfSupport: ['rhel 9 2032-05-31', { id: 'debian', version: '12', date: '2028-06-30' }] },
  badExamples: [{ endOfSupport: ['rhel nine'] }, { endOfSupport: [{ id: 'rhel', version: '9', date: 'soon' }] }, { other: 1 }],
  async run(params, ctx) {
    const found = await readRelease(ctx);
    if (found === undefined) return notApplicable('no /etc/os-release or /usr/lib/os-release');
    const rel = parseOsRelease(found.text);
    const id = rel.ID ?? 'unknown';
    const versionId = rel.VERSION_ID ?? '';
    const idLike = (rel.ID_LIKE ?? '').split(/\s+/).filter(Boolean);
    const entry = versionId === '' ? undefined : findEndOfSupport(params.endOfSupport, id, idLike, versionId);
    const today = ctx.now.toISOString().slice(0, 10);
    return observed(
      {
        id,
        versionId: versionId === '' ? null : versionId,
        idLike,
        prettyName: rel.PRETTY_NAME ?? null,
        endOfSupportDate: entry?.date ?? null,
        supported: entry === undefined ? null : today <= entry.date,
      },
      [found.path],
    );
  },
});
