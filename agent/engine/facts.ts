/**
 * @module Host facts (name, OS, kernel, container) read through the Host interface.
 */
import os from 'node:os';
import type { Host } from '../host/host.js';
import type { HostFacts } from '../../shared/result.js';

/** Parse /etc/os-release (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[m[1]!] = value.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

export async function readHostFacts(host: Host): Promise<HostFacts> {
  const [osRelease, usrOsRelease, hostnameFile, machineId, kernel, dockerenv, containerenv] = await Promise.all([
    host.readFile('/etc/os-release'),
    host.readFile('/usr/lib/os-release'),
    host.readFile('/etc/hostname'),
    host.readFile('/etc/machine-id'),
    host.live ? host.readFile('/proc/sys/kernel/osrelease') : Promise.resolve(undefined),
    host.lstat('/.dockerenv'),
    host.lstat('/run/.containerenv'),
  ]);
  const rel = parseOsRelease(osRelease ?? usrOsRelease ?? '');
  const hostname = host.mode === 'live' ? os.hostname() : (hostnameFile?.trim() || 'unknown');
  const facts: HostFacts = {
    hostname,
    os: {
      id: rel.ID ?? 'unknown',
      idLike: (rel.ID_LIKE ?? '').split(/\s+/).filter(Boolean),
      ...(rel.VERSION_ID ? { versionId: rel.VERSION_ID } : {}),
      ...(rel.PRETTY_NAME ? { prettyName: rel.PRETTY_NAME } : {}),
    },
    mode: host.mode,
    root: host.root,
    container: dockerenv !== undefined || containerenv !== undefined,
  };
  if (machineId?.trim()) facts.machineId = machineId.trim();
  if (kernel?.trim()) facts.kernel = kernel.trim();
  if (host.mode === 'live') facts.arch = os.arch();
  return facts;
}

/** Distribution families of the host: its ID plus ID_LIKE, plus `linux`. */
export function hostPlatforms(facts: HostFacts): Set<string> {
  const set = new Set<string>(['linux', facts.os.id, ...facts.os.idLike]);
  // RHEL clones say ID_LIKE="rhel centos fedora"; CentOS Stream etc. too. Ubuntu says ID_LIKE=debian.
  return set;
}
