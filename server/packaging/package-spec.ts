/**
 * @module What an agent installer package is built from (`rampart server package`): the agency,
 * the collector URL, a fresh enrollment token, optional CA certificate and trusted pack keys, the
 * package version and the agent build to ship. Also the fixed paths the package installs to.
 */
import { z } from 'zod';

/** Where the installed agent lives on a host (docs/install.md, "What the agent needs"). */
export const AGENT_PATHS = {
  libDir: '/usr/lib/rampart-agent',
  binary: '/usr/lib/rampart-agent/rampart-agent',
  launcher: '/usr/lib/rampart-agent/rampart-agent-start',
  packageInfo: '/usr/lib/rampart-agent/package-info.json',
  binLink: '/usr/bin/rampart-agent',
  etcDir: '/etc/rampart-agent',
  envFile: '/etc/rampart-agent/agent.env',
  localEnvFile: '/etc/rampart-agent/local.env',
  caFile: '/etc/rampart-agent/ca.pem',
  trustedKeysDir: '/etc/rampart-agent/trusted-keys',
  unit: '/lib/systemd/system/rampart-agent.service',
  docDir: '/usr/share/doc/rampart-agent',
  stateDir: '/var/lib/rampart-agent',
  user: 'rampart-agent',
  service: 'rampart-agent.service',
} as const;

/** Safe inside single quotes in a POSIX shell file and in a systemd-free env file: no quotes, no newlines. */
const ShellSafe = z.string().regex(/^[^'\n\r\\`$]*$/, 'must not contain quotes, backslashes, $, ` or newlines');

export const PackageSpecSchema = z.strictObject({
  agency: z.string().min(1).max(128).pipe(ShellSafe),
  serverUrl: z
    .string()
    .url()
    .refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'an http:// or https:// URL')
    .transform((u) => u.replace(/\/+$/, ''))
    .pipe(ShellSafe),
  token: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, 'an enrollment token (rpe_...)'),
  /** Debian-style upstream version, also used for the tar name: 0.1.0, 0.1.0-2, 0.2.0~rc1. */
  packageVersion: z.string().regex(/^[0-9][A-Za-z0-9.+~-]{0,63}$/, 'a version like 0.1.0 or 0.1.0-2'),
  /** sea: the single executable (no Node.js needed); node: the .mjs bundle run by the host's node (20+). */
  runtime: z.enum(['sea', 'node']),
  /** The agent build: dist/agent (scripts/build-agent.mjs). */
  agentDir: z.string().min(1),
  /** PEM of the collector's CA certificate, when the collector serves TLS with a private CA. */
  caPem: z.string().includes('-----BEGIN CERTIFICATE-----').optional(),
  /** Ed25519 public keys (PEM) trusted to sign rule packs, installed as trusted-keys/NAME.pub. */
  trustedKeys: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), pem: z.string().includes('PUBLIC KEY') })),
  /** The agent version inside the build (shared/version.ts), recorded in package-info.json. */
  agentVersion: z.string().min(1),
});
export type PackageSpec = z.infer<typeof PackageSpecSchema>;

/** File-name-safe agency label for the package file name ("Dept of X" → "dept-of-x"). */
export function agencySlug(agency: string): string {
  return (
    agency
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'agency'
  );
}
