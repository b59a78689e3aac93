/**
 * @module The sshd keywords the agent understands: how each value is typed (as `sshd -T`
 * prints it) and OpenSSH's compiled-in default, used when the configuration is parsed
 * rather than asked of `sshd -T`.
 *
 * Defaults are those documented in sshd_config(5) (OpenSSH 8.7–9.x, the versions in RHEL 9,
 * Ubuntu 22.04 and Debian 12). They are stable across those versions except the algorithm
 * lists (Ciphers, MACs, KexAlgorithms), which are what `sshd -T` of OpenSSH 9.2p1 (Debian 12)
 * prints with nothing configured; on RHEL the
 * crypto-policy back-end file sets those explicitly through an Include, so the default is
 * rarely used there. Keywords without a default here are simply absent when not configured.
 */

export type KeywordKind =
  /** yes/no or another lower-case word. */
  | 'word'
  /** Upper-case word as sshd -T prints it (LogLevel INFO, SyslogFacility AUTH). */
  | 'upper'
  | 'number'
  /** A time (sshd_config(5) TIME FORMATS: 90, 1m30s, 2h) shown in seconds. */
  | 'time'
  /** Comma-separated algorithm list; `+`, `-` and `^` modify the default. */
  | 'algorithms'
  /** Keyword that may repeat; all values accumulate (Port, ListenAddress, AcceptEnv, AllowUsers...). */
  | 'multi'
  /** Free text kept as written (paths, "none"). */
  | 'text';

export interface Keyword {
  kind: KeywordKind;
  default?: string;
  description: string;
}

const CIPHERS_DEFAULT = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
const MACS_DEFAULT =
  'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,' +
  'umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1';
const KEX_DEFAULT =
  'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,' +
  'diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256';

/** Keyword table, lower-case names as sshd -T prints them. */
export const SSHD_KEYWORDS: Readonly<Record<string, Keyword>> = {
  port: { kind: 'multi', default: '22', description: 'listening ports (list)' },
  listenaddress: { kind: 'multi', description: 'listen addresses (list)' },
  addressfamily: { kind: 'word', default: 'any', description: 'any, inet or inet6' },
  permitrootlogin: { kind: 'word', default: 'without-password', description: 'yes, no, without-password (= prohibit-password), forced-commands-only' },
  permitemptypasswords: { kind: 'word', default: 'no', description: 'yes/no' },
  passwordauthentication: { kind: 'word', default: 'yes', description: 'yes/no' },
  kbdinteractiveauthentication: { kind: 'word', default: 'yes', description: 'yes/no (ChallengeResponseAuthentication is its old name)' },
  pubkeyauthentication: { kind: 'word', default: 'yes', description: 'yes/no' },
  usepam: { kind: 'word', default: 'no', description: 'yes/no (distributions set yes in sshd_config)' },
  authenticationmethods: { kind: 'text', default: 'any', description: 'required authentication method lists' },
  hostbasedauthentication: { kind: 'word', default: 'no', description: 'yes/no' },
  ignorerhosts: { kind: 'word', default: 'yes', description: 'yes/no' },
  ignoreuserknownhosts: { kind: 'word', default: 'no', description: 'yes/no' },
  permituserenvironment: { kind: 'word', default: 'no', description: 'yes/no or a pattern list' },
  gssapiauthentication: { kind: 'word', default: 'no', description: 'yes/no' },
  kerberosauthentication: { kind: 'word', default: 'no', description: 'yes/no' },
  strictmodes: { kind: 'word', default: 'yes', description: 'yes/no' },
  ciphers: { kind: 'algorithms', default: CIPHERS_DEFAULT, description: 'cipher list' },
  macs: { kind: 'algorithms', default: MACS_DEFAULT, description: 'MAC list' },
  kexalgorithms: { kind: 'algorithms', default: KEX_DEFAULT, description: 'key-exchange list' },
  hostkeyalgorithms: { kind: 'algorithms', description: 'host key signature algorithms' },
  pubkeyacceptedalgorithms: { kind: 'algorithms', description: 'accepted user key algorithms' },
  casignaturealgorithms: { kind: 'algorithms', description: 'CA signature algorithms' },
  gssapikexalgorithms: { kind: 'algorithms', description: 'GSSAPI key exchange (distribution patch)' },
  clientaliveinterval: { kind: 'time', default: '0', description: 'seconds between keepalive probes (0 = off)' },
  clientalivecountmax: { kind: 'number', default: '3', description: 'unanswered keepalives before disconnect' },
  maxauthtries: { kind: 'number', default: '6', description: 'authentication attempts per connection' },
  maxsessions: { kind: 'number', default: '10', description: 'sessions per connection' },
  logingracetime: { kind: 'time', default: '120', description: 'seconds to authenticate (0 = no limit)' },
  maxstartups: { kind: 'text', default: '10:30:100', description: 'start:rate:full unauthenticated connection limits' },
  rekeylimit: { kind: 'text', default: '0 0', description: 'bytes and seconds before rekeying, as sshd -T prints them ("0 0" = default)' },
  banner: { kind: 'text', default: 'none', description: 'pre-login banner file, or none' },
  loglevel: { kind: 'upper', default: 'INFO', description: 'QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG...' },
  syslogfacility: { kind: 'upper', default: 'AUTH', description: 'syslog facility' },
  x11forwarding: { kind: 'word', default: 'no', description: 'yes/no' },
  x11uselocalhost: { kind: 'word', default: 'yes', description: 'yes/no' },
  allowtcpforwarding: { kind: 'word', default: 'yes', description: 'yes, no, local, remote, all' },
  allowagentforwarding: { kind: 'word', default: 'yes', description: 'yes/no' },
  allowstreamlocalforwarding: { kind: 'word', default: 'yes', description: 'yes, no, local, remote, all' },
  disableforwarding: { kind: 'word', default: 'no', description: 'yes/no' },
  gatewayports: { kind: 'word', default: 'no', description: 'yes, no, clientspecified' },
  permittunnel: { kind: 'word', default: 'no', description: 'yes, no, point-to-point, ethernet' },
  permittty: { kind: 'word', default: 'yes', description: 'yes/no' },
  compression: { kind: 'word', default: 'yes', description: 'yes/no (delayed is shown as yes)' },
  printlastlog: { kind: 'word', default: 'yes', description: 'yes/no' },
  printmotd: { kind: 'word', default: 'yes', description: 'yes/no' },
  usedns: { kind: 'word', default: 'no', description: 'yes/no' },
  tcpkeepalive: { kind: 'word', default: 'yes', description: 'yes/no' },
  hostkey: { kind: 'multi', description: 'host key files (list)' },
  acceptenv: { kind: 'multi', description: 'accepted client environment variables (list)' },
  allowusers: { kind: 'multi', description: 'users allowed to log in (list)' },
  denyusers: { kind: 'multi', description: 'users refused (list)' },
  allowgroups: { kind: 'multi', description: 'groups allowed to log in (list)' },
  denygroups: { kind: 'multi', description: 'groups refused (list)' },
  subsystem: { kind: 'multi', description: 'subsystems, each "name command"' },
  authorizedkeysfile: { kind: 'text', default: '.ssh/authorized_keys .ssh/authorized_keys2', description: 'authorized keys file patterns' },
  forcecommand: { kind: 'text', default: 'none', description: 'forced command or none' },
  chrootdirectory: { kind: 'text', default: 'none', description: 'chroot directory or none' },
  trustedusercakeys: { kind: 'text', default: 'none', description: 'trusted user CA keys file or none' },
  revokedkeys: { kind: 'text', default: 'none', description: 'revoked keys file or none' },
  requiredrsasize: { kind: 'number', description: 'minimum RSA key size (OpenSSH 9.1+ / RHEL)' },
  fingerprinthash: { kind: 'upper', default: 'SHA256', description: 'fingerprint hash' },
  ipqos: { kind: 'text', description: 'IP type-of-service' },
  x11displayoffset: { kind: 'number', default: '10', description: 'first X11 display number for forwarding' },
  streamlocalbindmask: { kind: 'text', default: '0177', description: 'umask for forwarded Unix sockets' },
  streamlocalbindunlink: { kind: 'word', default: 'no', description: 'yes/no' },
  unusedconnectiontimeout: { kind: 'text', default: 'none', description: 'close connections without open channels after this time (OpenSSH 9.2+)' },
  hostbasedusesnamefrompacketonly: { kind: 'word', default: 'no', description: 'yes/no' },
  hostbasedacceptedalgorithms: { kind: 'algorithms', description: 'host-based authentication key algorithms' },
  kerberosorlocalpasswd: { kind: 'word', default: 'yes', description: 'yes/no' },
  kerberosticketcleanup: { kind: 'word', default: 'yes', description: 'yes/no' },
  gssapicleanupcredentials: { kind: 'word', default: 'yes', description: 'yes/no' },
  gssapikeyexchange: { kind: 'word', default: 'no', description: 'yes/no (distribution patch)' },
  gssapistrictacceptorcheck: { kind: 'word', default: 'yes', description: 'yes/no' },
  gssapistorecredentialsonrekey: { kind: 'word', default: 'no', description: 'yes/no (distribution patch)' },
  permituserrc: { kind: 'word', default: 'yes', description: 'yes/no' },
  exposeauthinfo: { kind: 'word', default: 'no', description: 'yes/no' },
  pidfile: { kind: 'text', description: 'PID file path' },
  modulifile: { kind: 'text', default: '/etc/ssh/moduli', description: 'DH group-exchange moduli file' },
  xauthlocation: { kind: 'text', description: 'xauth program path' },
  securitykeyprovider: { kind: 'text', default: 'internal', description: 'FIDO security key provider' },
  authorizedprincipalsfile: { kind: 'text', default: 'none', description: 'authorized principals file or none' },
  authorizedprincipalscommand: { kind: 'text', default: 'none', description: 'command listing principals, or none' },
  authorizedprincipalscommanduser: { kind: 'text', default: 'none', description: 'user running that command' },
  authorizedkeyscommand: { kind: 'text', default: 'none', description: 'command listing keys, or none' },
  authorizedkeyscommanduser: { kind: 'text', default: 'none', description: 'user running that command' },
  versionaddendum: { kind: 'text', default: 'none', description: 'text appended to the version banner' },
  hostkeyagent: { kind: 'text', default: 'none', description: 'host key agent socket or none' },
  persourcemaxstartups: { kind: 'text', default: 'none', description: 'unauthenticated connections per source' },
  persourcenetblocksize: { kind: 'text', default: '32:128', description: 'source netblock sizes for PerSourceMaxStartups' },
  permitopen: { kind: 'text', default: 'any', description: 'permitted local forwarding destinations' },
  permitlisten: { kind: 'text', default: 'any', description: 'permitted remote forwarding listen addresses' },
  pubkeyauthoptions: { kind: 'text', default: 'none', description: 'touch-required / verify-required, or none' },
};

/** Old or alternative keyword names mapped to the name sshd -T prints. */
export const SSHD_ALIASES: Readonly<Record<string, string>> = {
  challengeresponseauthentication: 'kbdinteractiveauthentication',
  pubkeyacceptedkeytypes: 'pubkeyacceptedalgorithms',
  hostbasedacceptedkeytypes: 'hostbasedacceptedalgorithms',
  skeyauthentication: 'kbdinteractiveauthentication',
};

/** Values sshd -T prints differently from how they may be written. */
export const SSHD_VALUE_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  permitrootlogin: { 'prohibit-password': 'without-password' },
  compression: { delayed: 'yes' },
};
