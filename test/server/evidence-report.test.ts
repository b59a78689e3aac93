/**
 * `rampart report` on both stores (a SQLite data directory, and PostgreSQL with --database): every
 * format, OSCAL validated against the official schema, as-of, and exit 2 for what the operator typed
 * wrong. The evidence model itself is tested in store/evidence-contract.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportMain } from '../../server/cli/report.js';
import { oscalValidator } from '../../shared/oscal/validate.js';
import { captureStdout } from '../helpers/server-cli.js';
import { seedFleet } from '../helpers/collector-fleet.js';
import { STORE_KINDS, expectPgReachable, newStoreTarget, type StoreTarget } from '../helpers/store-targets.js';

const validate = oscalValidator();

describe('PostgreSQL test server', () => expectPgReachable());

describe.each(STORE_KINDS)('rampart report on %s', (kind) => {
  let target: StoreTarget;
  beforeEach(async () => {
    target = newStoreTarget(kind);
    const store = await target.open();
    try {
      await seedFleet(store);
    } finally {
      await store.close();
    }
  });
  afterEach(() => target.dispose());

  const run = async (...argv: string[]) => {
    const { stdout, text } = captureStdout();
    const code = await reportMain([...argv, '--data-dir', target.dataDir, ...target.argv], { stdout, env: target.env });
    return { code, out: text() };
  };

  it('prints OSCAL (validated), CSV, HTML and the model, and exits 2 for an unknown agency, host, format or a future date', async () => {
    const oscal = await run('--agency', 'dhs', '--validate');
    expect(oscal.code).toBe(0);
    expect(validate(JSON.parse(oscal.out)).errors).toEqual([]);
    const csv = await run('--agency', 'dhs', '--format', 'csv');
    expect(csv.out.split('\r\n').filter(Boolean)).toHaveLength(1 + 3);
    expect(csv.out).toContain(',waived,');
    const html = await run('--agency', 'dhs', '--format', 'html');
    expect(html.out).toContain('<section id="waivers"');
    expect(html.out).toContain('W-1');
    const json = JSON.parse((await run('--agency', 'dhs', '--host', 'web-1', '--format', 'json')).out);
    expect(json.schema).toBe('rampart.evidence/1');
    expect(json.hosts.map((h: { hostname: string }) => h.hostname)).toEqual(['web-1']);
    const asOf = JSON.parse((await run('--agency', 'dhs', '--format', 'json', '--as-of', '2026-11-03')).out);
    expect(asOf.assessment.generatedAt).toBe('2026-11-03T00:00:00.000Z');
    expect(asOf.results).toHaveLength(6);
    expect((await run('--agency', 'dhs', '--as-of', '2999-01-01')).code).toBe(2);
    expect((await run('--agency', 'nasa')).code).toBe(2);
    expect((await run('--agency', 'dhs', '--host', 'nobody')).code).toBe(2);
    expect((await run('--agency', 'dhs', '--format', 'xml')).code).toBe(2);
  });
});
