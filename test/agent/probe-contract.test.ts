/**
 * One suite run against every registered probe (the registry is the single source): schema,
 * bad params rejected, a valid observation on every fixture host, and it never throws.
 */
import { describe, expect, it } from 'vitest';
import { PROBES } from '../../agent/probes/index.js';
import { isErrorCode } from '../../shared/errors.js';
import { FIXTURE_HOSTS, fixtureContext } from '../helpers/fixtures.js';

describe('probe registry', () => {
  it('has unique lowercase kebab type names', () => {
    const types = PROBES.map((p) => p.type);
    expect(new Set(types).size).toBe(types.length);
    for (const t of types) expect(t).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('has at least the probe types the baseline needs', () => {
    expect(PROBES.length).toBeGreaterThan(0);
  });
});

describe.each(PROBES.map((p) => [p.type, p] as const))('probe %s', (_type, probe) => {
  it('documents itself and every field it observes', () => {
    expect(probe.summary.length).toBeGreaterThan(10);
    expect(Object.keys(probe.fields).length).toBeGreaterThan(0);
    for (const [field, meaning] of Object.entries(probe.fields)) {
      expect(field).toMatch(/^[a-zA-Z][a-zA-Z0-9]*$/);
      expect(meaning.length).toBeGreaterThan(3);
    }
  });

  it('accepts its example params', () => {
    const parsed = probe.params.safeParse(probe.example);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('rejects every bad example', () => {
    expect(probe.badExamples.length).toBeGreaterThan(0);
    for (const bad of probe.badExamples) {
      expect(probe.params.safeParse(bad).success, `accepted ${JSON.stringify(bad)}`).toBe(false);
    }
  });

  it.each(FIXTURE_HOSTS)('returns a valid observation on fixture %s without throwing', async (host) => {
    const ctx = await fixtureContext(host);
    const params = probe.params.parse(probe.example);
    const obs = await probe.run(params, ctx);
    expect(['observed', 'not-applicable', 'error']).toContain(obs.status);
    if (obs.status === 'observed') {
      for (const key of Object.keys(obs.values)) expect(Object.keys(probe.fields), `undeclared field ${key}`).toContain(key);
      expect(() => JSON.stringify(obs.values)).not.toThrow();
    } else if (obs.status === 'not-applicable') {
      expect(obs.reason.length).toBeGreaterThan(3);
    } else {
      expect(isErrorCode(obs.code)).toBe(true);
      expect(obs.message.length).toBeGreaterThan(3);
    }
  });

  it('answers on an offline root with no runtime (not-applicable or observed, never a throw)', async () => {
    const ctx = await fixtureContext(FIXTURE_HOSTS[0]!, { live: false });
    const obs = await probe.run(probe.params.parse(probe.example), ctx);
    expect(['observed', 'not-applicable', 'error']).toContain(obs.status);
  });
});
