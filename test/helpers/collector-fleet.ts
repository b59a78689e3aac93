/**
 * @module A small collector fleet for evidence tests, written through the Store only (so it seeds
 * either store): agency dhs with web-1 (a failure with a BOD 23-02 clock, a pass, an error, a
 * not-applicable) and web-2 (two failures, one of them under a host waiver W-1 until 2099).
 */
import type { ResultItem } from '../../shared/protocol.js';
import type { Store } from '../../server/store/store.js';
import { hashToken } from '../../server/tokens.js';
import { makeResult } from './test-agent.js';

export const PACK = { id: 'test-pack', title: 'Test pack', version: '1.0.0', sha256: 'd'.repeat(64), ruleCount: 4 };
const FW = { clockDays: 14, clockDirective: 'BOD-23-02', references: { directives: ['BOD-23-02'], nist: ['SC-7'], stig: [], cis: [], cac: [], cve: [], other: [] } };

/** Agency dhs: web-1 (fail with a clock, pass, error, not-applicable) and web-2 (two failures, one waived). */
export async function seedFleet(store: Store): Promise<Record<string, string>> {
  const agencyId = (await store.createAgency('dhs')).id;
  await store.createEnrollToken({ agencyName: 'dhs', tokenHash: hashToken('t'), expiresAt: null, uses: 5, now: '2026-11-01T00:00:00.000Z' });
  const ids: Record<string, string> = {};
  const enroll = async (hostname: string, results: ResultItem[]) => {
    const id = (await store.enrollAgent({ tokenHash: hashToken('t'), publicKey: 'k', hostname, agentVersion: '0.1.0', now: '2026-11-01T00:00:00.000Z' })).id;
    ids[hostname] = id;
    await store.recordHello(id, {
      agentVersion: '0.1.0',
      host: { hostname, os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, mode: 'live', root: '/', container: false },
      packs: [PACK],
    });
    await store.ingest([{ agentId: id, agencyId, receivedAt: '2026-11-02T00:00:00.000Z', frame: { v: 1, type: 'results', seq: 1, scanId: `scan-${hostname}`, scannedAt: '2026-11-02T00:00:00.000Z', packs: [PACK], full: false, results } }]);
  };
  await enroll('web-1', [
    makeResult('linux.fw.default-deny', 'fail', FW),
    makeResult('linux.net.ip-forward', 'pass'),
    makeResult('linux.edr.agent', 'error', { error: { code: 'ERR_PROBE_FAILED', message: 'no access' } }),
    makeResult('linux.ssh.root', 'not-applicable', { reason: 'openssh-server is not installed' }),
  ]);
  await enroll('web-2', [makeResult('linux.fw.default-deny', 'fail', FW), makeResult('linux.net.ip-forward', 'fail')]);
  await store.waivers.addWaiver(
    { agency: 'dhs', ruleId: 'linux.fw.default-deny', hosts: ['web-2'], justification: 'Upstream firewall filters this segment', approver: 'ciso@dhs.example.gov', risk: 'medium', startsAt: '2026-11-01T00:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z' },
    'ana',
    '2026-11-01T00:00:00.000Z',
  );
  return ids;
}

