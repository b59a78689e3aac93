import { afterEach, describe, expect, it } from 'vitest';
import { legacyCipherTokens, opensslConfigProbe } from '../../../agent/probes/openssl-config.js';
import type { ScanContext } from '../../../agent/engine/context.js';
import { fixtureContext } from '../../helpers/fixtures.js';
import { makeRoot, removeRoot, rootContext } from '../../helpers/temp-root.js';

const run = (ctx: ScanContext) => opensslConfigProbe.run({}, ctx);
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeRoot));

describe('openssl-config probe', () => {
  it('on this machine: Debian 12 ships no system_default section', async () => {
    expect(await run(await fixtureContext('debian12-default'))).toMatchObject({
      status: 'observed',
      values: { configFile: '/etc/ssl/openssl.cnf', configured: false, minProtocol: null, cipherString: null, legacyCipherTokens: [] },
    });
  });

  it('Ubuntu 22.04 sets a CipherString but no MinProtocol', async () => {
    expect(await run(await fixtureContext('ubuntu2204-default'))).toMatchObject({
      status: 'observed',
      values: { configured: true, section: 'system_default_sect', minProtocol: null, cipherString: 'DEFAULT:@SECLEVEL=2', secLevel: 2 },
    });
    expect(await run(await fixtureContext('ubuntu2204-hardened'))).toMatchObject({ status: 'observed', values: { minProtocol: 'TLSv1.2', minProtocolRank: 3 } });
  });

  it('follows the RHEL crypto-policy .include through the back-end symlink', async () => {
    const obs = await run(await fixtureContext('rhel9-default'));
    expect(obs).toMatchObject({
      status: 'observed',
      values: { configFile: '/etc/pki/tls/openssl.cnf', configured: true, section: 'crypto_policy', minProtocol: 'TLSv1.2', maxProtocol: 'TLSv1.3', legacyCipherTokens: [], secLevel: 2 },
    });
    if (obs.status === 'observed') expect(obs.sources).toContain('/etc/crypto-policies/back-ends/opensslcnf.config');
  });

  it('lists the cipher words that re-enable legacy ciphers', async () => {
    expect(legacyCipherTokens('ALL:!aNULL:-3DES:RC4-SHA:+DES-CBC3-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0:EXPORT')).toEqual(['RC4-SHA', 'DES-CBC3-SHA', 'EXPORT']);
    const dir = makeRoot({
      'etc/ssl/openssl.cnf': 'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sd\n[sd]\nMinProtocol = TLSv1  # old\nCipherString = DEFAULT:3DES\n',
      'etc/gnutls/config': '[overrides]\n',
    });
    roots.push(dir);
    expect(await run(await rootContext(dir, 'offline'))).toMatchObject({
      status: 'observed',
      values: { minProtocol: 'TLSv1', minProtocolRank: 1, legacyCipherTokens: ['3DES'], gnutlsConfigPresent: true },
    });
  });

  it('is not-applicable when OpenSSL has no configuration file', async () => {
    const dir = makeRoot({ 'etc/hostname': 'x\n' });
    roots.push(dir);
    expect((await run(await rootContext(dir, 'offline'))).status).toBe('not-applicable');
  });
});
