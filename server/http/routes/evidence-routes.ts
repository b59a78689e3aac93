/**
 * @module Evidence and waiver routes under /api/v1 (bearer token): OSCAL, CSV, HTML and JSON evidence
 * per agency or host, and waivers (list for readers; add, change and remove for admins, each written
 * to the audit log with the API user as the actor). docs/evidence.md and docs/waivers.md describe them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { SeveritySchema } from '../../../shared/rule-pack.js';
import { findingsCsv } from '../../../shared/reports/csv.js';
import { htmlReport } from '../../../shared/reports/html.js';
import { evidenceToOscal } from '../../../shared/oscal/from-evidence.js';
import { hostScanObligations, type CadenceObligation } from '../../store/cadence-query.js';
import { loadDirectives } from '../../../agent/rules/directives.js';
import { directivesFile } from '../../../agent/rules/paths.js';
import type { Agency, Store } from '../../store/store.js';
import { assertAdmin, assertCanRead, bearerAuth, requireUser } from '../bearer-auth.js';
import { parseWith } from '../request-parsing.js';

const AgencyParams = z.object({ agency: z.string().min(1).max(128) });
const WaiverParams = z.object({ id: z.string().min(1).max(32) });
const EvidenceQuery = z.object({
  format: z.enum(['oscal', 'csv', 'html', 'json']).default('oscal'),
  /** Comma-separated agent ids or hostnames. */
  host: z.string().min(1).max(4096).optional(),
  all: z.enum(['true', 'false']).optional(),
  /** Rebuild the evidence as it stood at this past instant (RFC 3339). */
  asOf: z.iso.datetime({ offset: true }).optional(),
  /** Days before the report time over which assessment cadences are judged (0: none). */
  cadenceDays: z.coerce.number().int().min(0).max(3660).default(30),
});
const CadenceQuery = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }).optional() });
const WaiverBody = z.strictObject({
  ruleId: z.string().min(1),
  hosts: z.array(z.string().min(1)).max(10_000).default([]),
  justification: z.string(),
  approver: z.string(),
  risk: SeveritySchema,
  startsAt: z.iso.datetime({ offset: true }).optional(),
  expiresAt: z.iso.datetime({ offset: true }),
});
const WaiverPatchBody = z.strictObject({
  justification: z.string().optional(),
  approver: z.string().optional(),
  risk: SeveritySchema.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
const RemoveBody = z.strictObject({ reason: z.string().max(2000).optional() }).default({});

const CONTENT_TYPES = { oscal: 'application/json; charset=utf-8', json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8' } as const;

let cadenceCache: Promise<CadenceObligation[]> | undefined;
/** The host-scan cadences of the shipped directives catalog, read once per process. */
function hostScanCadences(): Promise<CadenceObligation[]> {
  cadenceCache ??= loadDirectives(directivesFile()).then(
    (index) => hostScanObligations(index.values()),
    (err: unknown) => {
      cadenceCache = undefined;
      throw err;
    },
  );
  return cadenceCache;
}

export function evidenceRoutes(app: FastifyInstance, store: Store): void {
  async function agencyFor(req: FastifyRequest): Promise<Agency> {
    const { agency } = parseWith(AgencyParams, req.params, 'path');
    const found = await store.findAgency(agency);
    if (!found) throw new AppError('ERR_AGENCY_NOT_FOUND', `agency "${agency}" does not exist`);
    // Out of scope answers exactly like a missing agency (the name as the caller wrote it).
    assertCanRead(requireUser(req), found, () => new AppError('ERR_AGENCY_NOT_FOUND', `agency "${agency}" does not exist`));
    return found;
  }

  app.register(async (api) => {
    api.decorateRequest('user', null);
    api.addHook('onRequest', bearerAuth(store));

    api.get('/api/v1/agencies/:agency/evidence', async (req, reply) => {
      const agency = await agencyFor(req);
      const q = parseWith(EvidenceQuery, req.query, 'query');
      const now = new Date().toISOString();
      const hosts = q.host?.split(',').map((h) => h.trim()).filter(Boolean);
      const obligations = q.cadenceDays > 0 ? await hostScanCadences() : [];
      const model = await store.agencyEvidence({
        agency: agency.name,
        ...(hosts?.length ? { hosts } : {}),
        now,
        ...(q.asOf ? { asOf: q.asOf } : {}),
        ...(obligations.length ? { cadence: { obligations, periodDays: q.cadenceDays } } : {}),
      });
      const body =
        q.format === 'json' ? JSON.stringify(model) : q.format === 'csv' ? findingsCsv(model, { all: q.all === 'true' }) : q.format === 'html' ? htmlReport(model) : JSON.stringify(evidenceToOscal(model));
      const ext = q.format === 'oscal' ? 'oscal.json' : q.format;
      const stamp = (q.asOf ? new Date(Date.parse(q.asOf)).toISOString() : now).slice(0, 10);
      void reply
        .header('content-type', CONTENT_TYPES[q.format])
        .header('content-disposition', `attachment; filename="rampart-${agency.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.${ext}"`)
        .header('x-content-type-options', 'nosniff');
      return body;
    });

    api.get('/api/v1/agencies/:agency/cadence', async (req) => {
      const agency = await agencyFor(req);
      const q = parseWith(CadenceQuery, req.query, 'query');
      const items = await store.agencyCadence({ agency: agency.name, from: q.from, to: q.to ?? new Date().toISOString(), obligations: await hostScanCadences() });
      return { items };
    });

    api.get('/api/v1/agencies/:agency/waivers', async (req) => {
      const agency = await agencyFor(req);
      const q = parseWith(z.object({ all: z.enum(['true', 'false']).optional() }), req.query, 'query');
      const items = await store.waivers.listWaivers({ agencyId: agency.id, all: q.all === 'true' }, new Date().toISOString());
      return { items };
    });

    api.post('/api/v1/agencies/:agency/waivers', async (req, reply) => {
      const user = requireUser(req);
      assertAdmin(user);
      const agency = await agencyFor(req);
      const b = parseWith(WaiverBody, req.body, 'body');
      const now = new Date().toISOString();
      const waiver = await store.waivers.addWaiver({ agency: agency.name, ...b, startsAt: b.startsAt ?? now }, `api:${user.name}`, now);
      void reply.status(201);
      return waiver;
    });

    api.patch('/api/v1/waivers/:id', async (req) => {
      const user = requireUser(req);
      assertAdmin(user);
      const { id } = parseWith(WaiverParams, req.params, 'path');
      const patch = parseWith(WaiverPatchBody, req.body, 'body');
      return store.waivers.updateWaiver(id, patch, `api:${user.name}`, new Date().toISOString());
    });

    api.delete('/api/v1/waivers/:id', async (req) => {
      const user = requireUser(req);
      assertAdmin(user);
      const { id } = parseWith(WaiverParams, req.params, 'path');
      const { reason } = parseWith(RemoveBody, req.body ?? {}, 'body');
      return store.waivers.removeWaiver(id, `api:${user.name}`, new Date().toISOString(), reason);
    });

    api.get('/api/v1/waivers/:id/audit', async (req) => {
      const user = requireUser(req);
      const { id } = parseWith(WaiverParams, req.params, 'path');
      const w = await store.waivers.getWaiver(id, new Date().toISOString());
      if (!w) throw new AppError('ERR_WAIVER_NOT_FOUND', `no waiver ${id}`);
      assertCanRead(user, { id: w.agencyId, name: w.agencyName }, () => new AppError('ERR_WAIVER_NOT_FOUND', `no waiver ${id}`));
      return { items: await store.waivers.auditLog({ objectId: w.id }) };
    });
  });
}
