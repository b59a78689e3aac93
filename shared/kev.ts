/**
 * @module The CISA Known Exploited Vulnerabilities (KEV) catalog: a zod schema of the fields
 * Rampart uses (the feed's own JSON schema is in shared data for reference) and a parser that
 * rejects a malformed or inconsistent file with ERR_KEV_INVALID.
 */
import { z } from 'zod';
import { AppError } from './errors.js';

export const KevEntrySchema = z.object({
  cveID: z.string().regex(/^CVE-[0-9]{4}-[0-9]{4,19}$/),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  knownRansomwareCampaignUse: z.string(),
  shortDescription: z.string().optional(),
  requiredAction: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string()).optional(),
});
export type KevEntry = z.infer<typeof KevEntrySchema>;

export const KevCatalogSchema = z.object({
  title: z.string().optional(),
  catalogVersion: z.string().min(1),
  dateReleased: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'dateReleased is a date-time'),
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(KevEntrySchema),
});
export type KevCatalog = z.infer<typeof KevCatalogSchema>;

/** What a rule result carries when a CVE is on the catalog. */
export interface KevMatch {
  cve: string;
  dateAdded: string;
  dueDate: string;
  ransomware: string;
  catalogVersion: string;
}

/** Parse and validate catalog text; `count` must equal the number of entries. */
export function parseKevCatalog(text: string, file: string): KevCatalog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('ERR_KEV_INVALID', `${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = KevCatalogSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('ERR_KEV_INVALID', `${file} is not a KEV catalog: ${first.join('; ')}`, { details: parsed.error.issues.slice(0, 20) });
  }
  if (parsed.data.count !== parsed.data.vulnerabilities.length) {
    throw new AppError('ERR_KEV_INVALID', `${file}: count says ${parsed.data.count} but the file lists ${parsed.data.vulnerabilities.length} vulnerabilities`);
  }
  return parsed.data;
}

/** CVE id → KEV entry. */
export function indexKev(catalog: KevCatalog): Map<string, KevEntry> {
  return new Map(catalog.vulnerabilities.map((v) => [v.cveID, v]));
}
