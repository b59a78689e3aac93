/**
 * @module Probe `openssl-config`: the system-wide OpenSSL TLS defaults, found by following
 * openssl_conf → ssl_conf → system_default in /etc/pki/tls/openssl.cnf (RHEL) or /etc/ssl/openssl.cnf
 * (Debian, Ubuntu), plus whether a GnuTLS system configuration exists.
 */
import { z } from 'zod';
import { readOpensslConf, type OpensslConf } from '../sources/openssl-cnf.js';
import { defineProbe, notApplicable, observed } from './probe.js';

export const OPENSSL_CNF_PATHS = ['/etc/pki/tls/openssl.cnf', '/etc/ssl/openssl.cnf'] as const;

/**
 * A CipherString word (or a dash-separated part of a cipher name such as DES-CBC3-SHA or RC4-MD5)
 * that switches on broken or export-grade ciphers.
 */
const LEGACY_CIPHER_PART = /^(RC4|RC2|DES|3DES|DES-CBC3|IDEA|SEED|NULL|ENULL|ANULL|EXP|EXPORT|EXPORT40|EXPORT56|LOW|MD5|COMPLEMENTOFALL|COMPLEMENTOFDEFAULT)$/i;

const PROTOCOL_RANK: Record<string, number> = { SSLv3: 0, TLSv1: 1, 'TLSv1.0': 1, 'TLSv1.1': 2, 'TLSv1.2': 3, 'TLSv1.3': 4 };

/** CipherString tokens that enable legacy ciphers; tokens negated with ! or - and @directives are skipped. */
export function legacyCipherTokens(cipherString: string): string[] {
  return cipherString
    .split(/[:,\s]+/)
    .filter((t) => t !== '' && !t.startsWith('!') && !t.startsWith('-') && !t.startsWith('@'))
    .map((t) => t.replace(/^\+/, ''))
    .filter((t) => t.split(/[+-]/).some((w) => LEGACY_CIPHER_PART.test(w)));
}

function section(conf: OpensslConf, name: string | undefined): Map<string, string> | undefined {
  return name === undefined ? undefined : conf.get(name);
}

function systemDefault(conf: OpensslConf): { name: string; values: Map<string, string> } | undefined {
  const init = section(conf, conf.get('')?.get('openssl_conf'));
  const ssl = section(conf, init?.get('ssl_conf'));
  const name = ssl?.get('system_default');
  const values = section(conf, name);
  return name !== undefined && values !== undefined ? { name, values } : undefined;
}

export const opensslConfigProbe = defineProbe({
  type: 'openssl-config',
  summary: 'System-wide OpenSSL TLS defaults (MinProtocol, CipherString, Ciphersuites) from openssl.cnf, following crypto-policy includes.',
  params: () => z.strictObject({}),
  fields: {
    configFile: 'the openssl.cnf read',
    configured: 'true when openssl_conf → ssl_conf → system_default leads to a section',
    section: 'name of the system_default section; null when not configured',
    minProtocol: 'MinProtocol (or TLS.MinProtocol) of that section; null when not set (the library default then applies)',
    maxProtocol: 'MaxProtocol (or TLS.MaxProtocol); null when not set',
    minProtocolRank: 'MinProtocol as a number: SSLv3 0, TLSv1 1, TLSv1.1 2, TLSv1.2 3, TLSv1.3 4; null when not set',
    cipherString: 'CipherString (TLS 1.2 and below); null when not set',
    cipherSuites: 'Ciphersuites (TLS 1.3); null when not set',
    secLevel: '@SECLEVEL=n in CipherString as a number; null when not set',
    legacyCipherTokens: 'CipherString words that enable RC4, 3DES, DES, NULL, EXPORT, LOW or MD5 ciphers (not negated)',
    gnutlsConfigPresent: 'true when /etc/gnutls/config exists (GnuTLS system priority overrides)',
  },
  example: {},
  badExamples: [{ path: '/etc/ssl/openssl.cnf' }, null],
  async run(_params, ctx) {
    let found: { file: string; conf: OpensslConf; files: string[] } | undefined;
    for (const file of OPENSSL_CNF_PATHS) {
      const read = await ctx.memo(`source:openssl-cnf:${file}`, () => readOpensslConf(ctx.host, file));
      if (read) {
        found = { file, ...read };
        break;
      }
    }
    if (!found) return notApplicable(`OpenSSL has no system configuration here (${OPENSSL_CNF_PATHS.join(', ')} absent)`);
    const sd = systemDefault(found.conf);
    const get = (...keys: string[]): string | null => {
      for (const k of keys) {
        const v = sd?.values.get(k);
        if (v !== undefined) return v;
      }
      return null;
    };
    const minProtocol = get('MinProtocol', 'TLS.MinProtocol');
    const cipherString = get('CipherString');
    const secLevel = cipherString ? /@SECLEVEL=(\d+)/.exec(cipherString)?.[1] : undefined;
    const gnutls = await ctx.host.lstat('/etc/gnutls/config');
    return observed(
      {
        configFile: found.file,
        configured: sd !== undefined,
        section: sd?.name ?? null,
        minProtocol,
        maxProtocol: get('MaxProtocol', 'TLS.MaxProtocol'),
        minProtocolRank: minProtocol === null ? null : (PROTOCOL_RANK[minProtocol] ?? null),
        cipherString,
        cipherSuites: get('Ciphersuites', 'CipherSuites'),
        secLevel: secLevel === undefined ? null : Number(secLevel),
        legacyCipherTokens: cipherString ? legacyCipherTokens(cipherString) : [],
        gnutlsConfigPresent: gnutls !== undefined,
      },
      found.files,
    );
  },
});
