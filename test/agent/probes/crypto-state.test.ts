import { afterEach, describe, expect, it } from 'vitest';
import { cryptoStateProbe } from '../../../agent/probes/crypto-state.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext, scope?: 'runtime' | 'persisted') => cryptoStateProbe.run(cryptoStateProbe.params.parse(scope ? { scope } : {}), ctx);
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('crypto-state probe', () => {
  it('on this machine: no FIPS switch in the kernel and no crypto policies', async () => {
    expect(await run(await fixtureContext('debian12-default'))).toMatchObject({
      status: 'observed',
      values: { fipsEnabled: null, fipsKernel: false, cryptoPoliciesPresent: false, cryptoPolicy: null, cryptoPolicyApplied: null, overridden: [] },
    });
  });

  it('rhel9-default: DEFAULT policy installed as symlinks, FIPS off', async () => {
    const obs = await run(await fixtureContext('rhel9-default'));
    expect(obs).toMatchObject({ status: 'observed', values: { fipsEnabled: false, cryptoPolicy: 'DEFAULT', cryptoPolicyApplied: 'DEFAULT', overridden: [] } });
    if (obs.status === 'observed') expect(obs.values.backEnds).toContain('opensslcnf.config');
  });

  it('rhel9-hardened: FIPS with a sub-policy generates regular back-end files, which are not overrides', async () => {
    expect(await run(await fixtureContext('rhel9-hardened'))).toMatchObject({
      status: 'observed',
      values: { fipsEnabled: true, cryptoPolicy: 'FIPS:STIG', cryptoPolicyApplied: 'FIPS:STIG', overridden: [] },
    });
  });

  it('ubuntu2204-hardened runs a FIPS kernel', async () => {
    expect(await run(await fixtureContext('ubuntu2204-hardened'), 'runtime')).toMatchObject({ status: 'observed', values: { fipsEnabled: true, fipsKernel: true } });
  });

  it('flags hand-edited back-ends and local.d snippets, and prefers update-crypto-policies --show', async () => {
    const dir = makeRoot({
      'etc/crypto-policies/config': '# comment\nFIPS\n',
      'etc/crypto-policies/state/current': 'DEFAULT\n',
      'etc/crypto-policies/back-ends/openssh.config': { link: '/usr/share/crypto-policies/FIPS/openssh.txt' },
      'etc/crypto-policies/back-ends/gnutls.config': 'SYSTEM=NORMAL:+VERS-TLS1.0\n',
      'etc/crypto-policies/back-ends/nss.config': { link: '/usr/share/crypto-policies/DEFAULT/nss.txt' },
      'etc/crypto-policies/local.d/opensshserver-legacy.config': 'Ciphers +3des-cbc\n',
      '.rampart-exec/crypto-policy.json': JSON.stringify({ exitCode: 0, stdout: 'FIPS\n', stderr: '' }),
    });
    roots.push(dir);
    expect(await run(await rootContext(dir), 'persisted')).toMatchObject({
      status: 'observed',
      values: {
        cryptoPolicy: 'FIPS',
        cryptoPolicyApplied: 'FIPS',
        overridden: ['/etc/crypto-policies/back-ends/gnutls.config', '/etc/crypto-policies/back-ends/nss.config', '/etc/crypto-policies/local.d/opensshserver-legacy.config'],
      },
    });
  });

  it('is not-applicable for the runtime scope on an offline root', async () => {
    const dir = makeRoot({ 'etc/crypto-policies/config': 'DEFAULT\n' });
    roots.push(dir);
    const ctx = await rootContext(dir, 'offline');
    expect((await run(ctx, 'runtime')).status).toBe('not-applicable');
    expect(await run(ctx)).toMatchObject({ status: 'observed', values: { runtimeAvailable: false, fipsEnabled: null, cryptoPolicy: 'DEFAULT', cryptoPolicyApplied: null } });
  });
});
