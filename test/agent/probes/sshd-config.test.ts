import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshdConfigProbe } from '../../../agent/probes/sshd-config.js';
import { applyAlgorithmList, parseSshTime } from '../../../agent/sources/sshd-config.js';
import { FixtureHost, offlineRootHost } from '../../../agent/host/fs-host.js';
import { createScanContext } from '../../../agent/engine/context.js';
import { readHostFacts } from '../../../agent/engine/facts.js';
import type { Host } from '../../../agent/host/host.js';
import { fixtureContext, fixtureRoot } from '../../helpers/fixtures.js';

const INSTALLED = 'Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u6\n';

async function observe(host: Host): Promise<Record<string, unknown>> {
  const ctx = createScanContext(host, await readHostFacts(host));
  const obs = await sshdConfigProbe.run({}, ctx);
  if (obs.status !== 'observed') throw new Error(`expected an observation, got ${JSON.stringify(obs)}`);
  return obs.values;
}

function tempRoot(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-sshd-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
  return dir;
}

/** Keywords the services-ssh pack tests: parsing must agree with sshd -T on each. */
const RULE_KEYWORDS = [
  'permitrootlogin', 'permitemptypasswords', 'passwordauthentication', 'kbdinteractiveauthentication', 'pubkeyauthentication',
  'usepam', 'ciphers', 'macs', 'kexalgorithms', 'clientaliveinterval', 'clientalivecountmax', 'maxauthtries', 'logingracetime',
  'maxstartups', 'maxsessions', 'rekeylimit', 'banner', 'loglevel', 'x11forwarding', 'x11uselocalhost', 'allowtcpforwarding',
  'disableforwarding', 'ignorerhosts', 'hostbasedauthentication', 'permituserenvironment', 'gssapiauthentication',
  'kerberosauthentication', 'strictmodes', 'syslogfacility', 'compression', 'subsystem', 'acceptenv', 'port',
];

describe('sshd-config probe', () => {
  it('is not applicable on the development machine image, which has no openssh-server', async () => {
    const ctx = await fixtureContext('debian12-default');
    const obs = await sshdConfigProbe.run({}, ctx);
    expect(obs).toMatchObject({ status: 'not-applicable', reason: 'openssh-server is not installed' });
  });

  it('is not applicable when only the config files of a removed package remain', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': 'Package: openssh-server\nStatus: deinstall ok config-files\nVersion: 1:9.2p1-2\n',
      'etc/ssh/sshd_config': 'PermitRootLogin yes\n',
    });
    const ctx = createScanContext(new FixtureHost(dir), await readHostFacts(new FixtureHost(dir)));
    const obs = await sshdConfigProbe.run({}, ctx);
    expect(obs.status).toBe('not-applicable');
    if (obs.status === 'not-applicable') expect(obs.reason).toMatch(/config-files/);
  });

  it('uses sshd -T on a live host', async () => {
    const values = await observe(new FixtureHost(fixtureRoot('rhel9-default')));
    expect(values).toMatchObject({ source: 'sshd -T', permitrootlogin: 'without-password', gssapiauthentication: 'yes', x11forwarding: 'yes', clientaliveinterval: 0, maxauthtries: 6 });
    expect(values.ciphers).toContain('chacha20-poly1305@openssh.com');
  });

  it.each(['debian12-hardened', 'ubuntu2204-default', 'ubuntu2204-hardened', 'rhel9-default', 'rhel9-hardened'])(
    'parses %s offline to the same values sshd -T printed for every keyword the rules use',
    async (name) => {
      const live = await observe(new FixtureHost(fixtureRoot(name)));
      const parsed = await observe(offlineRootHost(fixtureRoot(name)));
      expect(live.source).toBe('sshd -T');
      expect(parsed.source).toBe('parsed sshd_config');
      for (const k of RULE_KEYWORDS) expect([k, parsed[k]]).toEqual([k, live[k]]);
      expect(parsed.maxstartupsfull).toBe(live.maxstartupsfull);
      expect(parsed.rekeylimittime).toBe(live.rekeylimittime);
    },
  );

  it('follows the Debian Include at the top, so a drop-in overrides the main file (first value wins)', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': INSTALLED,
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nMaxAuthTries 2\nX11Forwarding yes\n',
      'etc/ssh/sshd_config.d/20-late.conf': 'PermitRootLogin forced-commands-only\nMaxSessions 3\n',
      'etc/ssh/sshd_config.d/10-early.conf': 'PermitRootLogin no\n',
      'etc/ssh/sshd_config.d/ignored.txt': 'MaxSessions 99\n',
    });
    const v = await observe(offlineRootHost(dir));
    expect(v).toMatchObject({ permitrootlogin: 'no', maxauthtries: 2, maxsessions: 3, x11forwarding: 'yes' });
    expect(v.files).toEqual(['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-early.conf', '/etc/ssh/sshd_config.d/20-late.conf']);
  });

  it('resolves relative Include paths against /etc/ssh and accepts Keyword=value', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': INSTALLED,
      'etc/ssh/sshd_config': 'Include local/*.conf\nClientAliveInterval=5m\n',
      'etc/ssh/local/a.conf': 'LoginGraceTime 1m30s\nRekeyLimit 512M 30m\nMaxStartups 5\n',
    });
    const v = await observe(offlineRootHost(dir));
    expect(v).toMatchObject({ clientaliveinterval: 300, logingracetime: 90, rekeylimit: '536870912 1800', maxstartups: '5:30:5', maxstartupsbegin: 5 });
  });

  it('applies Match blocks that fit root from localhost over the global section, and skips the others', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': INSTALLED,
      'etc/ssh/sshd_config': [
        'PermitRootLogin no',
        'X11Forwarding no',
        'Match User backup',
        '  X11Forwarding yes',
        'Match Address 127.0.0.0/8 User root,admin',
        '  PermitRootLogin prohibit-password',
        '  Include /etc/ssh/match.d/*.conf',
        'Match Address 10.0.0.0/8',
        '  PasswordAuthentication yes',
        'Match User !root,*',
        '  MaxAuthTries 9',
        'Match LocalPort 2222',
        '  AllowTcpForwarding yes',
        'Match all',
        '  AllowTcpForwarding no',
        '  MaxSessions 2',
        '',
      ].join('\n'),
      'etc/ssh/match.d/x.conf': 'MaxSessions 1\n',
    });
    const v = await observe(offlineRootHost(dir));
    expect(v).toMatchObject({
      permitrootlogin: 'without-password',
      x11forwarding: 'no',
      passwordauthentication: 'yes',
      maxauthtries: 6,
      allowtcpforwarding: 'no',
      maxsessions: 1,
    });
    expect((v.notes as string[]).join(' ')).toMatch(/localport/);
  });

  it('restores the global section after an included file that opened a Match block', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': INSTALLED,
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n',
      'etc/ssh/sshd_config.d/a.conf': 'Match User nobody\n  PermitRootLogin yes\n',
    });
    expect(await observe(offlineRootHost(dir))).toMatchObject({ permitrootlogin: 'no' });
  });

  it('fills OpenSSH compiled-in defaults and applies +/-/^ algorithm edits to them', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': INSTALLED,
      'etc/ssh/sshd_config': '# nothing set\nCiphers -chacha20*,aes192*\nMACs ^hmac-sha2-512\nChallengeResponseAuthentication no\nCompression delayed\nLogLevel verbose\n',
    });
    const v = await observe(offlineRootHost(dir));
    expect(v).toMatchObject({
      permitrootlogin: 'without-password',
      permitemptypasswords: 'no',
      passwordauthentication: 'yes',
      kbdinteractiveauthentication: 'no',
      usepam: 'no',
      clientaliveinterval: 0,
      clientalivecountmax: 3,
      maxauthtries: 6,
      logingracetime: 120,
      maxstartups: '10:30:100',
      rekeylimit: '0 0',
      banner: 'none',
      loglevel: 'VERBOSE',
      x11forwarding: 'no',
      ignorerhosts: 'yes',
      compression: 'yes',
    });
    // sshd -T prints exactly these for the same edits (checked against OpenSSH 9.2p1).
    expect(v.ciphers).toEqual(['aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com']);
    expect((v.macs as string[])[0]).toBe('hmac-sha2-512');
    expect((v.macs as string[]).filter((m) => m === 'hmac-sha2-512')).toHaveLength(1);
  });

  it('is an error when the package is installed but sshd_config is missing', async () => {
    const dir = tempRoot({ 'var/lib/dpkg/status': INSTALLED });
    const host = offlineRootHost(dir);
    const obs = await sshdConfigProbe.run({}, createScanContext(host, await readHostFacts(host)));
    expect(obs).toMatchObject({ status: 'error', code: 'ERR_PROBE_FAILED' });
  });

  it('falls back to parsing, with a note, when sshd -T fails', async () => {
    const dir = tempRoot({
      'var/lib/dpkg/status': INSTALLED,
      'etc/ssh/sshd_config': 'PermitRootLogin no\n',
      '.rampart-exec/sshd-effective.json': JSON.stringify({ exitCode: 255, stdout: '', stderr: 'sshd: no hostkeys available -- exiting.' }),
    });
    const v = await observe(new FixtureHost(dir));
    expect(v).toMatchObject({ source: 'parsed sshd_config', permitrootlogin: 'no' });
    expect((v.notes as string[])[0]).toMatch(/no hostkeys/);
  });

  it('reads time values and algorithm edits the way sshd_config(5) defines them', () => {
    expect(parseSshTime('90')).toBe(90);
    expect(parseSshTime('1h30m')).toBe(5400);
    expect(parseSshTime('10x')).toBeUndefined();
    expect(applyAlgorithmList('+aes128-cbc', ['a'])).toEqual(['a', 'aes128-cbc']);
    expect(applyAlgorithmList('aes256-ctr,aes128-ctr', ['a'])).toEqual(['aes256-ctr', 'aes128-ctr']);
  });
});
