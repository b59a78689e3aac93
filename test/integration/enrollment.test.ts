import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/test-collector.js';
import { TestAgent, httpJson } from '../helpers/test-agent.js';

let c: TestCollector;
beforeAll(async () => {
  c = await startTestCollector();
});
afterAll(async () => c?.dispose());

function code(body: unknown): string | undefined {
  return (body as { error?: { code?: string } }).error?.code;
}

describe('enrollment', () => {
  it('exchanges a valid token for an agent id in the token agency, storing only the public key', async () => {
    const agent = new TestAgent(c.url, 'web-1');
    const answer = await agent.enroll(await c.token('dhs'));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ agentId: expect.stringMatching(/^[0-9a-f-]{36}$/), agency: 'dhs', protocolVersion: 1 });
    const stored = await c.store.getAgent(agent.agentId);
    expect(stored).toMatchObject({ hostname: 'web-1', agencyName: 'dhs', publicKey: agent.publicKeyB64(), revokedAt: null });
  });

  it('refuses an unknown token with ERR_ENROLL_TOKEN_INVALID (401)', async () => {
    const answer = await new TestAgent(c.url).enroll('rpe_not-a-real-token');
    expect(answer.status).toBe(401);
    expect(code(answer.body)).toBe('ERR_ENROLL_TOKEN_INVALID');
  });

  it('refuses an expired token with ERR_ENROLL_TOKEN_EXPIRED (401)', async () => {
    const token = await c.token('dhs', { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const answer = await new TestAgent(c.url).enroll(token);
    expect(answer.status).toBe(401);
    expect(code(answer.body)).toBe('ERR_ENROLL_TOKEN_EXPIRED');
  });

  it('refuses a token with no uses left with ERR_ENROLL_TOKEN_USED (409), and honours --uses', async () => {
    const token = await c.token('dhs', { uses: 2 });
    expect((await new TestAgent(c.url).enroll(token)).status).toBe(200);
    expect((await new TestAgent(c.url).enroll(token)).status).toBe(200);
    const third = await new TestAgent(c.url).enroll(token);
    expect(third.status).toBe(409);
    expect(code(third.body)).toBe('ERR_ENROLL_TOKEN_USED');
  });

  it('refuses a token of another agency than the one asked for with ERR_ENROLL_AGENCY_MISMATCH (403), without using it up', async () => {
    const token = await c.token('treasury');
    const wrong = await new TestAgent(c.url).enroll(token, { agency: 'dhs' });
    expect(wrong.status).toBe(403);
    expect(code(wrong.body)).toBe('ERR_ENROLL_AGENCY_MISMATCH');
    expect((await new TestAgent(c.url).enroll(token, { agency: 'treasury' })).status).toBe(200);
  });

  it('refuses a key that is not Ed25519 with ERR_ENROLL_PUBLIC_KEY (400), without using the token', async () => {
    const token = await c.token('dhs');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const answer = await httpJson(`${c.url}/api/v1/enroll`, { body: { token, publicKey: rsa, hostname: 'h', agentVersion: '1' } });
    expect(answer.status).toBe(400);
    expect(code(answer.body)).toBe('ERR_ENROLL_PUBLIC_KEY');
    expect((await new TestAgent(c.url).enroll(token)).status).toBe(200);
  });

  it('refuses an unsupported protocol version with ERR_PROTOCOL_VERSION (426) and a malformed body with ERR_API_INVALID_REQUEST', async () => {
    const token = await c.token('dhs');
    const v2 = await new TestAgent(c.url).enroll(token, { protocolVersion: 2 });
    expect(v2.status).toBe(426);
    expect(code(v2.body)).toBe('ERR_PROTOCOL_VERSION');
    const bad = await httpJson(`${c.url}/api/v1/enroll`, { body: { token } });
    expect(bad.status).toBe(400);
    expect(code(bad.body)).toBe('ERR_API_INVALID_REQUEST');
  });

  it('stores enrollment tokens hashed, never in plaintext', async () => {
    const token = await c.token('dhs');
    const db = (c.store as unknown as { db: import('better-sqlite3').Database }).db;
    const rows = db.prepare('SELECT token_hash FROM enroll_tokens').all() as Array<{ token_hash: string }>;
    expect(rows.some((r) => r.token_hash === token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });
});
