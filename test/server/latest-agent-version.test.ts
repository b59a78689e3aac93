/**
 * The collector tells the dashboard which agent version is current, so hosts reporting an older
 * agentVersion (hello) can be shown as outdated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../shared/version.js';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';

let collector: TestCollector;

beforeAll(async () => {
  collector = await startTestCollector();
});

afterAll(async () => {
  await collector?.dispose();
});

describe('latest agent version', () => {
  it('is the collector’s own release, in GET /api/v1/me for every signed-in user', async () => {
    const token = await collector.apiToken('viewer-of-versions', 'soc');
    const res = await fetch(`${collector.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const me = (await res.json()) as { latestAgentVersion: string; role: string };
    expect(me.role).toBe('soc');
    expect(me.latestAgentVersion).toBe(VERSION);
  });
});
