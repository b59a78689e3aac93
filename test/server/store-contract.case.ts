/**
 * @module The Store contract, as a suite any implementation must pass: `runStoreContract({ name,
 * newStore })` registers the cases; store-contract.test.ts runs them against SQLite (temp file)
 * and PostgreSQL (the real server, a fresh schema per run). Only Store methods are used, so
 * both stores are held to exactly the same answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent, IngestFrame, Store } from '../../server/store/store.js';
import { hashToken } from '../../server/tokens.js';
import { stateDigest } from '../../shared/state-digest.js';
import type { ResultItem, ResultsFrame } from '../../shared/protocol.js';
import type { HostFacts } from '../../shared/result.js';
import { makeResult } from '../helpers/test-agent.js';
import { LATEST_SCHEMA_VERSION } from '../../server/store/sqlite/migrations.js';

export interface StoreContractOptions {
  name: string;
  /** A fresh, migrated, empty store; `dispose` runs after each case (drop schema, remove files). */
  newStore: () => Promise<{ store: Store; dispose: () => Promise<void> }>;
}

const PAGE = { limit: 50, offset: 0 };
const T0 = '2026-11-01T00:00:00.000Z';

export function runStoreContract(opts: StoreContractOptions): void {
  describe(`Store contract: ${opts.name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let agencyId: number;
    let agent: Agent;

    async function enroll(agency: string, hostname: string, token = `tok-${agency}-${hostname}`): Promise<Agent> {
      await store.createEnrollToken({ agencyName: agency, tokenHash: hashToken(token), expiresAt: null, uses: 1, now: T0 });
      return store.enrollAgent({ tokenHash: hashToken(token), publicKey: `key-${hostname}`, hostname, agentVersion: '1.0.0', now: T0 });
    }

    function frame(seq: number, results: ResultItem[], over: Partial<ResultsFrame> = {}, who: Agent = agent): IngestFrame {
      return {
        agentId: who.id,
        agencyId: who.agencyId,
        receivedAt: new Date().toISOString(),
        frame: { v: 1, type: 'results', seq, scanId: `s${seq}`, scannedAt: T0, packs: [], full: false, results, ...over },
      };
    }

    beforeEach(async () => {
      ({ store, dispose } = await opts.newStore());
      agencyId = (await store.createAgency('dhs')).id;
      agent = await enroll('dhs', 'web-1');
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    describe('schema', () => {
      it('migrates to the same schema version on every store, and migrating again changes nothing', async () => {
        expect(await store.migrate()).toBe(LATEST_SCHEMA_VERSION);
        expect(await store.migrate()).toBe(LATEST_SCHEMA_VERSION);
        expect((await store.listAgencies()).map((a) => a.name)).toEqual(['dhs']);
      });
    });

    describe('agencies, tokens and users', () => {
      it('creates agencies with parents, finds them by name or id, and refuses duplicates', async () => {
        const cisa = await store.createAgency('cisa', 'dhs');
        expect(cisa).toMatchObject({ name: 'cisa', parentId: agencyId, parentName: 'dhs', hostCount: 0 });
        expect(await store.findAgency('cisa')).toMatchObject({ id: cisa.id });
        expect(await store.findAgency(String(cisa.id))).toMatchObject({ name: 'cisa' });
        expect(await store.findAgency('nope')).toBeNull();
        await expect(store.createAgency('dhs')).rejects.toMatchObject({ code: 'ERR_AGENCY_EXISTS' });
        await expect(store.createAgency('x', 'missing')).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
        const list = await store.listAgencies();
        expect(list.map((a) => [a.name, a.hostCount])).toEqual([
          ['cisa', 0],
          ['dhs', 1],
        ]);
        expect(await store.agencyTree()).toEqual([
          { id: cisa.id, name: 'cisa', parentId: agencyId, parentName: 'dhs' },
          { id: agencyId, name: 'dhs', parentId: null, parentName: null },
        ]);
      });

      it('refuses unknown, expired, used and wrong-agency tokens with their codes', async () => {
        const now = '2026-11-02T00:00:00.000Z';
        const base = { publicKey: 'k', hostname: 'h', agentVersion: '1', now };
        await expect(store.enrollAgent({ ...base, tokenHash: hashToken('unknown') })).rejects.toMatchObject({ code: 'ERR_ENROLL_TOKEN_INVALID' });
        await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('old'), expiresAt: '2026-11-01T12:00:00.000Z', uses: 5, now: T0 });
        await expect(store.enrollAgent({ ...base, tokenHash: hashToken('old') })).rejects.toMatchObject({ code: 'ERR_ENROLL_TOKEN_EXPIRED' });
        await expect(store.enrollAgent({ ...base, tokenHash: hashToken('tok-dhs-web-1') })).rejects.toMatchObject({ code: 'ERR_ENROLL_TOKEN_USED' });
        await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('two'), expiresAt: null, uses: 2, now: T0 });
        await expect(store.enrollAgent({ ...base, tokenHash: hashToken('two'), agency: 'doj' })).rejects.toMatchObject({ code: 'ERR_ENROLL_AGENCY_MISMATCH' });
        const a = await store.enrollAgent({ ...base, tokenHash: hashToken('two'), machineId: 'm1', os: 'Debian 12' });
        expect(a).toMatchObject({ agencyName: 'dhs', hostname: 'h', machineId: 'm1', os: 'Debian 12', maxSeq: 0, seqCount: 0, revokedAt: null });
        await expect(store.createEnrollToken({ agencyName: 'nope', tokenHash: 'x', expiresAt: null, uses: 1, now })).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
      });

      it('hands out each use of a token once when enrollments race', async () => {
        await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('race'), expiresAt: null, uses: 3, now: T0 });
        const tries = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.enrollAgent({ tokenHash: hashToken('race'), publicKey: 'k', hostname: `r${i}`, agentVersion: '1', now: T0 })),
        );
        expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(3);
        expect(tries.filter((t) => t.status === 'rejected').map((t) => (t as PromiseRejectedResult).reason.code)).toEqual(Array(5).fill('ERR_ENROLL_TOKEN_USED'));
      });

      it('creates users, finds them by token hash, and revokes them', async () => {
        const admin = await store.createUser({ name: 'ada', role: 'admin', tokenHash: hashToken('ada'), now: T0 });
        expect(admin).toMatchObject({ name: 'ada', role: 'admin', agencyId: null, agencyName: null });
        const viewer = await store.createUser({ name: 'vic', role: 'agency-viewer', agencyName: 'dhs', tokenHash: hashToken('vic'), now: T0 });
        expect(viewer).toMatchObject({ agencyId, agencyName: 'dhs' });
        await expect(store.createUser({ name: 'ada', role: 'soc', tokenHash: hashToken('x'), now: T0 })).rejects.toMatchObject({ code: 'ERR_USER_EXISTS' });
        await expect(store.createUser({ name: 'z', role: 'soc', agencyName: 'nope', tokenHash: hashToken('z'), now: T0 })).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
        expect(await store.findUserByTokenHash(hashToken('vic'))).toMatchObject({ name: 'vic' });
        expect(await store.findUserByTokenHash(hashToken('nobody'))).toBeNull();
        expect(await store.revokeUser('vic', new Date().toISOString())).toBe(true);
        expect(await store.findUserByTokenHash(hashToken('vic'))).toBeNull();
        expect(await store.revokeUser('vic', new Date().toISOString())).toBe(true);
        expect(await store.revokeUser('nobody', new Date().toISOString())).toBe(false);
      });
    });

    describe('agents', () => {
      it('finds hosts by id or hostname, preferring the newest non-revoked', async () => {
        const again = await enroll('dhs', 'web-1', 'second');
        expect((await store.findHost('web-1'))!.id).toBe(again.id);
        await store.revokeAgent(again.id, '2026-11-03T00:00:00.000Z');
        expect((await store.findHost('web-1'))!.id).toBe(agent.id);
        expect((await store.findHost(again.id))!.revokedAt).toBe('2026-11-03T00:00:00.000Z');
        expect(await store.findHost('nope')).toBeNull();
        expect(await store.getAgent('00000000-0000-4000-8000-000000000000')).toBeNull();
      });

      it('lists agents per agency and everywhere, sorted by agency and hostname', async () => {
        await store.createAgency('doj');
        await enroll('doj', 'app-2');
        await enroll('dhs', 'db-1');
        expect((await store.listAgents()).map((a) => `${a.agencyName}/${a.hostname}`)).toEqual(['dhs/db-1', 'dhs/web-1', 'doj/app-2']);
        expect((await store.listAgents('doj')).map((a) => a.hostname)).toEqual(['app-2']);
        expect(await store.listAgents('nope')).toEqual([]);
      });

      it('revokes once, keeps the first time, and reports revocations since a time', async () => {
        expect(await store.revokeAgent(agent.id, '2026-11-03T00:00:00.000Z')).toBe(true);
        expect(await store.revokeAgent(agent.id, '2026-11-04T00:00:00.000Z')).toBe(true);
        expect(await store.revokeAgent('00000000-0000-4000-8000-000000000000', T0)).toBe(false);
        expect(await store.revokedSince('2026-11-02T00:00:00.000Z')).toEqual([{ id: agent.id, revokedAt: '2026-11-03T00:00:00.000Z' }]);
        expect(await store.revokedSince('2026-11-03T00:00:01.000Z')).toEqual([]);
      });

      it('consumes a challenge nonce once, only for its agent and before it expires', async () => {
        await store.createChallenge(agent.id, 'n1', '2026-11-01T00:01:00.000Z');
        expect(await store.consumeChallenge(agent.id, 'n1', T0)).toBe(true);
        expect(await store.consumeChallenge(agent.id, 'n1', T0)).toBe(false);
        await store.createChallenge(agent.id, 'n2', '2026-11-01T00:01:00.000Z');
        expect(await store.consumeChallenge('someone-else', 'n2', T0)).toBe(false);
        expect(await store.consumeChallenge(agent.id, 'n2', T0)).toBe(false);
        await store.createChallenge(agent.id, 'n3', '2026-11-01T00:01:00.000Z');
        expect(await store.consumeChallenge(agent.id, 'n3', '2026-11-01T00:02:00.000Z')).toBe(false);
      });

      it('records hello facts and last-seen times (never going back), outbox depth and drops', async () => {
        const host: HostFacts = {
          hostname: 'web-1.example.gov',
          machineId: 'abc',
          os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', idLike: [] },
          kernel: '6.1.0',
          arch: 'x64',
          mode: 'live',
          container: false,
        } as unknown as HostFacts;
        await store.recordHello(agent.id, { agentVersion: '1.2.3', host, packs: [{ id: 'p', version: '1', sha256: 'a'.repeat(64) }] as never });
        await store.touchAgents([{ id: agent.id, lastSeenAt: '2026-11-05T00:00:00.000Z', outboxDepth: 7, dropped: 1 }]);
        await store.touchAgents([{ id: agent.id, lastSeenAt: '2026-11-04T00:00:00.000Z' }]);
        const a = (await store.getAgent(agent.id))!;
        expect(a).toMatchObject({ agentVersion: '1.2.3', hostname: 'web-1.example.gov', machineId: 'abc', os: 'Debian GNU/Linux 12 (bookworm)', lastSeenAt: '2026-11-05T00:00:00.000Z', outboxDepth: 7, dropped: 1 });
        const detail = await store.hostDetail(agent.id);
        expect(detail.host.facts).toMatchObject({ kernel: '6.1.0' });
        expect(detail.host.packs).toEqual([{ id: 'p', version: '1', sha256: 'a'.repeat(64) }]);
        expect(await store.agentsLastSeenBetween('2026-11-04T00:00:00.000Z', '2026-11-06T00:00:00.000Z')).toEqual([
          { agentId: agent.id, agencyId, agency: 'dhs', hostname: 'web-1.example.gov' },
        ]);
        expect(await store.agentsLastSeenBetween('2026-11-06T00:00:00.000Z', '2026-11-07T00:00:00.000Z')).toEqual([]);
      });
    });

    describe('ingest', () => {
      it('stores a seq once and reports a second delivery as a duplicate, also within one batch', async () => {
        const f = frame(1, [makeResult('linux.a.one', 'fail')]);
        expect((await store.ingest([f, f])).map((o) => o.status)).toEqual(['stored', 'duplicate']);
        expect((await store.ingest([f])).map((o) => o.status)).toEqual(['duplicate']);
        expect((await store.hostResults(agent.id, PAGE)).total).toBe(1);
        expect((await store.hostHistory(agent.id, PAGE)).total).toBe(1);
        expect((await store.posture(agencyId, new Date().toISOString(), 14)).counts.fail).toBe(1);
        expect((await store.getAgent(agent.id))!).toMatchObject({ maxSeq: 1, seqCount: 1, lastScanId: 's1', lastScanAt: T0 });
      });

      it('reports the status changes of each frame, and none for a repeat of the same state', async () => {
        const out = await store.ingest([
          frame(1, [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'pass')]),
          frame(2, [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'fail')]),
        ]);
        expect(out).toEqual([
          {
            status: 'stored',
            changes: [
              { ruleId: 'linux.a.one', from: null, to: 'fail' },
              { ruleId: 'linux.a.two', from: null, to: 'pass' },
            ],
          },
          { status: 'stored', changes: [{ ruleId: 'linux.a.two', from: 'pass', to: 'fail' }] },
        ]);
      });

      it('writes a history row only when the status changes, in order within one batch', async () => {
        await store.ingest([frame(1, [makeResult('linux.a.one', 'fail')]), frame(2, [makeResult('linux.a.one', 'fail')]), frame(3, [makeResult('linux.a.one', 'pass')])]);
        const history = await store.hostHistory(agent.id, { limit: 10, offset: 0 });
        expect(history.items.map((h) => [h.ruleId, h.from, h.to, h.seq])).toEqual([
          ['linux.a.one', 'fail', 'pass', 3],
          ['linux.a.one', null, 'fail', 1],
        ]);
        const results = await store.hostResults(agent.id, PAGE);
        expect(results.items[0]).toMatchObject({ status: 'pass', seq: 3, scanId: 's3', changedAt: T0 });
        expect(results.items[0]!.result).toMatchObject({ ruleId: 'linux.a.one', status: 'pass', evidence: [expect.objectContaining({ probe: 'sysctl' })] });
      });

      it('never lets an older frame overwrite newer state', async () => {
        await store.ingest([frame(5, [makeResult('linux.a.one', 'pass')])]);
        expect(await store.ingest([frame(4, [makeResult('linux.a.one', 'fail')])])).toEqual([{ status: 'stored', changes: [] }]);
        expect((await store.hostResults(agent.id, PAGE)).items[0]).toMatchObject({ status: 'pass', seq: 5 });
        expect((await store.getAgent(agent.id))!).toMatchObject({ maxSeq: 5, seqCount: 2 });
      });

      it('keeps changedAt until the status changes', async () => {
        await store.ingest([frame(1, [makeResult('linux.a.one', 'fail')], { scannedAt: '2026-11-01T00:00:00Z' })]);
        await store.ingest([frame(2, [makeResult('linux.a.one', 'fail')], { scannedAt: '2026-11-02T00:00:00Z' })]);
        expect((await store.hostResults(agent.id, PAGE)).items[0]).toMatchObject({ scannedAt: '2026-11-02T00:00:00.000Z', changedAt: '2026-11-01T00:00:00.000Z' });
        await store.ingest([frame(3, [makeResult('linux.a.one', 'pass')], { scannedAt: '2026-11-03T00:00:00Z' })]);
        expect((await store.hostResults(agent.id, PAGE)).items[0]).toMatchObject({ changedAt: '2026-11-03T00:00:00.000Z' });
      });

      it('opens a finding on failure with first-seen and a due date, and resolves it on pass', async () => {
        await store.ingest([frame(1, [makeResult('linux.a.one', 'fail', { clockDays: 15, clockDirective: 'BOD-22-01' })], { scannedAt: '2026-11-01T00:00:00Z' })]);
        await store.ingest([frame(2, [makeResult('linux.a.one', 'error')], { scannedAt: '2026-11-05T00:00:00Z' })]);
        await store.ingest([frame(3, [makeResult('linux.a.one', 'fail', { clockDays: 15 })], { scannedAt: '2026-11-06T00:00:00Z' })]);
        const open = await store.listFindings(agencyId, '2026-11-20T00:00:00.000Z', { state: 'open' }, PAGE);
        expect(open.items).toHaveLength(1);
        expect(open.items[0]).toMatchObject({ firstSeenAt: '2026-11-01T00:00:00.000Z', dueAt: '2026-11-16T00:00:00.000Z', overdue: true, directive: 'BOD-22-01', hostname: 'web-1', ruleId: 'linux.a.one' });
        expect((await store.listFindings(agencyId, '2026-11-20T00:00:00.000Z', { state: 'overdue' }, PAGE)).total).toBe(1);
        expect((await store.listFindings(agencyId, '2026-11-10T00:00:00.000Z', { state: 'overdue' }, PAGE)).total).toBe(0);
        await store.ingest([frame(4, [makeResult('linux.a.one', 'pass')], { scannedAt: '2026-11-21T00:00:00Z' })]);
        expect((await store.listFindings(agencyId, '2026-11-22T00:00:00.000Z', { state: 'open' }, PAGE)).total).toBe(0);
        const resolved = await store.listFindings(agencyId, '2026-11-22T00:00:00.000Z', { state: 'resolved' }, PAGE);
        expect(resolved.items[0]).toMatchObject({ resolvedAt: '2026-11-21T00:00:00.000Z', overdue: false });
        expect((await store.listFindings(agencyId, '2026-11-22T00:00:00.000Z', { state: 'all' }, PAGE)).total).toBe(1);
      });

      it('scores by severity weight with errors counting as not passing, from maintained counters', async () => {
        await store.ingest([
          frame(1, [
            makeResult('linux.a.crit', 'pass', { severity: 'critical' }),
            makeResult('linux.a.low', 'fail', { severity: 'low' }),
            makeResult('linux.a.med', 'error', { severity: 'medium' }),
            makeResult('linux.a.na', 'not-applicable', { severity: 'high' }),
          ]),
        ]);
        const p = await store.posture(agencyId, new Date().toISOString(), 14);
        expect(p.score).toBe(71.4);
        expect(p.counts).toMatchObject({ total: 4, pass: 1, fail: 1, error: 1, notApplicable: 1 });
        expect(p.failBySeverity).toEqual({ critical: 0, high: 0, medium: 0, low: 1 });
        expect(p.directives).toEqual([{ directive: 'M-22-09', rules: 4, pass: 1, fail: 1, error: 1, percent: 33.3 }]);
        expect(p.failingRules).toEqual([{ ruleId: 'linux.a.low', title: 'Rule linux.a.low', severity: 'low', failingHosts: 1, errorHosts: 0, passingHosts: 0, directives: ['M-22-09'] }]);
        expect(p.hosts).toEqual({ total: 1, revoked: 0 });
        expect(p.agency).toEqual({ id: agencyId, name: 'dhs', parentName: null });
      });

      it('drops rules missing from a complete (full) state and keeps counters in step', async () => {
        await store.ingest([frame(1, [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'pass')], { full: true })]);
        await store.ingest([frame(2, [makeResult('linux.a.one', 'pass')], { full: true })]);
        expect((await store.hostResults(agent.id, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.a.one']);
        expect((await store.posture(agencyId, new Date().toISOString(), 14)).counts).toMatchObject({ pass: 1, fail: 0, total: 1 });
        expect((await store.listHosts(agencyId, '', PAGE)).items[0]!.counts).toEqual({ pass: 1, fail: 0, error: 0, notApplicable: 0 });
        expect((await store.hostHistory(agent.id, PAGE)).items.map((h) => [h.ruleId, h.from, h.to])).toEqual([
          ['linux.a.two', 'pass', 'removed'],
          ['linux.a.one', 'fail', 'pass'],
          ['linux.a.two', null, 'pass'],
          ['linux.a.one', null, 'fail'],
        ]);
      });

      it('removes only after the last part of a multi-part full state, and rules a delta lists as removed', async () => {
        await store.ingest([frame(1, [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'fail'), makeResult('linux.a.three', 'pass')], { full: true })]);
        await store.ingest([frame(2, [makeResult('linux.a.one', 'pass')], { full: true, scanId: 'big', part: 0, parts: 2 })]);
        expect((await store.hostResults(agent.id, PAGE)).total).toBe(3);
        await store.ingest([frame(3, [makeResult('linux.a.two', 'fail')], { full: true, scanId: 'big', part: 1, parts: 2 })]);
        expect((await store.hostResults(agent.id, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.a.one', 'linux.a.two']);
        await store.ingest([frame(4, [], { removed: ['linux.a.two', 'linux.never.seen'] })]);
        expect((await store.hostResults(agent.id, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.a.one']);
        const p = await store.posture(agencyId, new Date().toISOString(), 14);
        expect(p.counts).toMatchObject({ total: 1, pass: 1, fail: 0, error: 0, notApplicable: 0 });
        expect(p.findings.open).toBe(0);
      });

      it('compares a digest with the stored state', async () => {
        const results = [makeResult('linux.a.one', 'fail'), makeResult('linux.a.two', 'pass')];
        await store.ingest([frame(1, results, { full: true })]);
        const digest = (seq: number, d: { count: number; sha256: string }): IngestFrame => ({
          agentId: agent.id,
          agencyId,
          receivedAt: new Date().toISOString(),
          frame: { v: 1, type: 'digest', seq, scanId: 's', scannedAt: new Date().toISOString(), ...d },
        });
        expect(await store.ingest([digest(2, stateDigest(results))])).toEqual([{ status: 'stored', digestMismatch: false }]);
        const bad = stateDigest([makeResult('linux.a.one', 'pass'), makeResult('linux.a.two', 'pass')]);
        expect(await store.ingest([digest(3, bad)])).toEqual([{ status: 'stored', digestMismatch: true }]);
        // A digest after a change in the same batch sees that change.
        const after = [makeResult('linux.a.one', 'pass'), makeResult('linux.a.two', 'pass')];
        expect((await store.ingest([frame(4, [after[0]!]), digest(5, stateDigest(after))]))[1]).toEqual({ status: 'stored', digestMismatch: false });
      });

      it('applies a batch from several agents and agencies in one transaction', async () => {
        await store.createAgency('doj');
        const b = await enroll('doj', 'app-1');
        const out = await store.ingest([
          frame(1, [makeResult('linux.a.one', 'fail')]),
          frame(1, [makeResult('linux.a.one', 'pass')], {}, b),
          frame(2, [makeResult('linux.a.one', 'pass')]),
          frame(2, [makeResult('linux.a.one', 'fail')], {}, b),
        ]);
        expect(out.map((o) => o.changes?.map((c) => `${c.from}>${c.to}`))).toEqual([['null>fail'], ['null>pass'], ['fail>pass'], ['pass>fail']]);
        const doj = (await store.findAgency('doj'))!.id;
        expect((await store.posture(agencyId, T0, 14)).counts).toMatchObject({ pass: 1, fail: 0 });
        expect((await store.posture(doj, T0, 14)).counts).toMatchObject({ pass: 0, fail: 1 });
        expect((await store.postureRollup(agencyId, [agencyId, doj], T0, 14)).counts).toMatchObject({ total: 2, pass: 1, fail: 1 });
      });

      it('refuses a batch naming an agent that is not enrolled, and stores none of it', async () => {
        const ghost: Agent = { ...agent, id: '00000000-0000-4000-8000-000000000000' };
        await expect(store.ingest([frame(1, [makeResult('linux.a.one', 'fail')]), frame(1, [], {}, ghost)])).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(AUTH_UNKNOWN_AGENT|STORE_WRITE)$/) });
        expect((await store.getAgent(agent.id))!.seqCount).toBe(0);
        expect(await store.ingest([frame(1, [makeResult('linux.a.one', 'fail')])])).toMatchObject([{ status: 'stored' }]);
      });

      it('reports delivery gaps per host', async () => {
        await store.ingest([frame(1, []), frame(2, []), frame(5, []), frame(9, [])]);
        const detail = await store.hostDetail(agent.id);
        expect(detail.host.delivery).toEqual({ maxSeq: 9, received: 4, missing: 5, complete: false });
        expect(detail.gaps).toEqual([
          { from: 3, to: 4 },
          { from: 6, to: 8 },
        ]);
        await store.ingest([3, 4, 6, 7, 8].map((s) => frame(s, [])));
        const after = await store.hostDetail(agent.id);
        expect(after.host.delivery.complete).toBe(true);
        expect(after.gaps).toEqual([]);
        await expect(store.hostDetail('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      });

      it('takes a revoked agent out of the agency posture and closes its findings', async () => {
        await store.ingest([frame(1, [makeResult('linux.a.one', 'fail', { clockDays: 3 })])]);
        expect(await store.revokeAgent(agent.id, new Date().toISOString())).toBe(true);
        const p = await store.posture(agencyId, new Date().toISOString(), 14);
        expect(p.counts.total).toBe(0);
        expect(p.findings.open).toBe(0);
        expect(p.hosts).toEqual({ total: 0, revoked: 1 });
      });
    });

    describe('read side', () => {
      beforeEach(async () => {
        await store.createAgency('cisa', 'dhs');
        const db = await enroll('cisa', 'db-1');
        await store.ingest([
          frame(1, [
            makeResult('linux.a.one', 'fail', { severity: 'high', clockDays: 10, clockDirective: 'BOD-22-01', references: { directives: ['BOD-22-01'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } }),
            makeResult('linux.a.two', 'pass', { severity: 'low' }),
            makeResult('linux.b.three', 'error', { title: 'Third rule' }),
          ]),
          frame(1, [makeResult('linux.a.one', 'fail', { severity: 'high', clockDays: 30, references: { directives: ['BOD-22-01'], nist: [], stig: [], cis: [], cac: [], cve: [], other: [] } })], { scannedAt: '2026-11-02T00:00:00Z' }, db),
        ]);
        await store.touchAgents([{ id: agent.id, lastSeenAt: '2026-11-10T00:00:00.000Z' }]);
      });

      it('lists hosts with server-side filters across an agency and its components', async () => {
        const cisa = (await store.findAgency('cisa'))!.id;
        const all = await store.listHostsFiltered(agencyId, { agencyIds: [agencyId, cisa] }, PAGE);
        expect(all.items.map((h) => [h.hostname, h.agency])).toEqual([
          ['db-1', 'cisa'],
          ['web-1', 'dhs'],
        ]);
        expect((await store.listHostsFiltered(agencyId, {}, PAGE)).items.map((h) => h.hostname)).toEqual(['web-1']);
        expect((await store.listHostsFiltered(agencyId, { agencyIds: [agencyId, cisa], q: 'DB' }, PAGE)).items.map((h) => h.hostname)).toEqual(['db-1']);
        expect((await store.listHostsFiltered(agencyId, { agencyIds: [agencyId, cisa], q: '%' }, PAGE)).total).toBe(0);
        const online = await store.listHostsFiltered(agencyId, { agencyIds: [agencyId, cisa], status: 'online', onlineSince: '2026-11-09T00:00:00.000Z' }, PAGE);
        expect(online.items.map((h) => h.hostname)).toEqual(['web-1']);
        const offline = await store.listHostsFiltered(agencyId, { agencyIds: [agencyId, cisa], status: 'offline', onlineSince: '2026-11-09T00:00:00.000Z' }, PAGE);
        expect(offline.items.map((h) => h.hostname)).toEqual(['db-1']);
        const page = await store.listHostsFiltered(agencyId, { agencyIds: [agencyId, cisa] }, { limit: 1, offset: 0 });
        expect(page).toMatchObject({ total: 2, limit: 1, offset: 0, nextOffset: 1 });
        expect((await store.listHosts(agencyId, T0, { limit: 1, offset: 0 })).items[0]).toMatchObject({ hostname: 'web-1', delivery: { complete: true, maxSeq: 1 } });
      });

      it('filters and orders a host results: failures first, then by severity', async () => {
        const all = await store.hostResultsFiltered(agent.id, {}, PAGE);
        expect(all.items.map((r) => r.ruleId)).toEqual(['linux.a.one', 'linux.b.three', 'linux.a.two']);
        expect((await store.hostResultsFiltered(agent.id, { status: 'pass' }, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.a.two']);
        expect((await store.hostResultsFiltered(agent.id, { severity: 'high' }, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.a.one']);
        expect((await store.hostResultsFiltered(agent.id, { directive: 'M-22-09' }, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.b.three', 'linux.a.two']);
        expect((await store.hostResultsFiltered(agent.id, { q: 'third' }, PAGE)).items.map((r) => r.ruleId)).toEqual(['linux.b.three']);
        expect((await store.hostResults(agent.id, PAGE, 'error')).items.map((r) => r.ruleId)).toEqual(['linux.b.three']);
        expect((await store.hostResults(agent.id, { limit: 2, offset: 0 })).items.map((r) => r.ruleId)).toEqual(['linux.a.one', 'linux.a.two']);
        await expect(store.hostResultsFiltered('00000000-0000-4000-8000-000000000000', {}, PAGE)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      });

      it('filters findings by severity, directive and text across components', async () => {
        const cisa = (await store.findAgency('cisa'))!.id;
        const now = '2026-11-15T00:00:00.000Z';
        const all = await store.listFindings(agencyId, now, { state: 'open', agencyIds: [agencyId, cisa] }, PAGE);
        expect(all.items.map((f) => [f.hostname, f.dueAt, f.overdue])).toEqual([
          ['web-1', '2026-11-11T00:00:00.000Z', true],
          ['db-1', '2026-12-02T00:00:00.000Z', false],
        ]);
        expect((await store.listFindings(agencyId, now, { state: 'open', severity: 'low', agencyIds: [agencyId, cisa] }, PAGE)).total).toBe(0);
        expect((await store.listFindings(agencyId, now, { state: 'open', directive: 'BOD-22-01', agencyIds: [agencyId, cisa] }, PAGE)).total).toBe(2);
        expect((await store.listFindings(agencyId, now, { state: 'overdue', q: 'web', agencyIds: [agencyId, cisa] }, PAGE)).total).toBe(1);
        expect((await store.listFindings(agencyId, now, { state: 'open', q: 'db' }, PAGE)).total).toBe(0);
      });

      it('rolls posture up over components and lists due-soon and overdue findings', async () => {
        const cisa = (await store.findAgency('cisa'))!.id;
        const now = '2026-11-15T00:00:00.000Z';
        const p = await store.postureRollup(agencyId, [agencyId, cisa], now, 30);
        expect(p.hosts).toEqual({ total: 2, revoked: 0 });
        expect(p.counts).toMatchObject({ total: 4, pass: 1, fail: 2, error: 1, notApplicable: 0 });
        expect(p.failingRules).toEqual([expect.objectContaining({ ruleId: 'linux.a.one', failingHosts: 2, severity: 'high' })]);
        expect(p.findings).toMatchObject({ open: 2, overdue: 1, dueSoon: 1, dueSoonDays: 30 });
        expect(p.findings.overdueList.map((f) => f.hostname)).toEqual(['web-1']);
        expect(p.findings.dueSoonList.map((f) => f.hostname)).toEqual(['db-1']);
        expect(p.directives.map((d) => [d.directive, d.rules, d.percent])).toEqual([
          ['BOD-22-01', 1, 0],
          ['M-22-09', 2, 50],
        ]);
        // The same as the per-agency posture when the set is the agency alone.
        const rollup = await store.postureRollup(agencyId, [agencyId], now, 30);
        const solo = await store.posture(agencyId, now, 30);
        expect(solo).toEqual({ ...rollup, counts: { ...rollup.counts, waived: 0 } });
        await expect(store.posture(987654, now, 30)).rejects.toMatchObject({ code: 'ERR_AGENCY_NOT_FOUND' });
      });

      it('computes per-agency figures and keeps one daily posture row per agency and day', async () => {
        const cisa = (await store.findAgency('cisa'))!.id;
        const figures = (await store.agencyFigures('2026-11-15T00:00:00.000Z', '2026-11-09T00:00:00.000Z')).sort((a, b) => a.agencyId - b.agencyId);
        expect(figures).toEqual([
          { agencyId, won: 1, possible: 9, hosts: 1, online: 1, openFindings: 1, overdueFindings: 1 },
          { agencyId: cisa, won: 0, possible: 5, hosts: 1, online: 0, openFindings: 1, overdueFindings: 0 },
        ]);
        await store.snapshotDailyPosture('2026-11-14');
        await store.snapshotDailyPosture('2026-11-15');
        await store.snapshotDailyPosture('2026-11-15');
        const daily = (await store.dailyPosture('2026-11-15')).sort((a, b) => a.agencyId - b.agencyId);
        expect(daily).toEqual([
          { agencyId, day: '2026-11-15', won: 1, possible: 9 },
          { agencyId: cisa, day: '2026-11-15', won: 0, possible: 5 },
        ]);
        expect(await store.dailyPosture('2026-11-01')).toHaveLength(4);
      });

      it('lists the hosts of a rule in a status, longest-standing first, within a scope', async () => {
        const cisa = (await store.findAgency('cisa'))!.id;
        const all = await store.ruleHosts('linux.a.one', null, 'fail', PAGE);
        expect(all!.rule).toEqual({ ruleId: 'linux.a.one', title: 'Rule linux.a.one', severity: 'high', remediation: 'Set it to 0.' });
        expect(all!.page.items.map((h) => [h.hostname, h.agency, h.since])).toEqual([
          ['web-1', 'dhs', T0],
          ['db-1', 'cisa', '2026-11-02T00:00:00.000Z'],
        ]);
        expect((await store.ruleHosts('linux.a.one', [cisa], 'fail', PAGE))!.page.items.map((h) => h.hostname)).toEqual(['db-1']);
        expect(await store.ruleHosts('linux.a.two', [cisa], 'pass', PAGE)).toBeNull();
        expect(await store.ruleHosts('linux.unknown', null, 'fail', PAGE)).toBeNull();
        expect((await store.ruleHosts('linux.a.two', null, 'fail', PAGE))!.page.total).toBe(0);
      });
    });
  });
}
