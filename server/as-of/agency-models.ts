/**
 * @module The evidence models an as-of view is built from: one per agency of a roll-up (the agency
 * and its components), each rebuilt at the instant from the status history by the store.
 */
import { AppError } from '../../shared/errors.js';
import type { EvidenceModel } from '../../shared/evidence/model.js';
import type { Store } from '../store/store.js';

/** An instant in the past, as the ISO string the stores compare; a future or unreadable one is a coded 400. */
export function pastInstant(asOf: string, now: string): string {
  const ms = Date.parse(asOf);
  if (Number.isNaN(ms) || ms > Date.parse(now)) {
    throw new AppError('ERR_API_INVALID_REQUEST', `asOf must be a past date-time (RFC 3339, e.g. 2026-11-01T00:00:00Z), not "${asOf}"`);
  }
  return new Date(ms).toISOString();
}

/** One agency's evidence at `asOf`, optionally only some of its hosts. */
export async function evidenceAsOf(store: Store, agency: string, asOf: string, now: string, hosts?: readonly string[]): Promise<EvidenceModel> {
  return store.agencyEvidence({ agency, now, asOf, ...(hosts ? { hosts } : {}) });
}

/** The evidence of each agency in `agencies` at `asOf`, by agency id. */
export async function agencyModelsAsOf(store: Store, agencies: ReadonlyArray<{ id: number; name: string }>, asOf: string, now: string): Promise<Map<number, EvidenceModel>> {
  const models = new Map<number, EvidenceModel>();
  for (const a of agencies) models.set(a.id, await evidenceAsOf(store, a.name, asOf, now));
  return models;
}
