/**
 * @module DNS resolution settings, read once per scan: /etc/resolv.conf (seeing through the
 * systemd-resolved stub to its upstream servers), resolved.conf DNS= and DNSOverTLS=, the
 * nsswitch.conf hosts line and NetworkManager's [main] dns= mode.
 */
import { readFileOnce, type ScanContext } from '../engine/context.js';
import { listDropIns } from './drop-in-dirs.js';

export const STUB_ADDRESSES = ['127.0.0.53', '127.0.0.54'];

export interface DnsConfig {
  /** Name servers of /etc/resolv.conf as written; undefined when the file is absent. */
  resolvConf: string[] | undefined;
  /** Where /etc/resolv.conf points when it is a symlink. */
  resolvConfTarget: string | null;
  /** resolv.conf uses the systemd-resolved stub listener (or links to its stub file). */
  stub: boolean;
  /** systemd-resolved decides the upstream servers (stub mode, or resolv.conf linked to its uplink file). */
  resolvedManaged: boolean;
  /** Upstream servers systemd-resolved uses (/run/systemd/resolve/resolv.conf); undefined when not readable. */
  resolvedRuntime: string[] | undefined;
  /** DNS= (then FallbackDNS= when DNS= is empty) of resolved.conf and its drop-ins. */
  resolvedConfigured: string[];
  /** DNSOverTLS= of resolved.conf and drop-ins (last wins); null when not set. */
  dnsOverTls: string | null;
  nsswitchHosts: string | null;
  /** NetworkManager [main] dns=; "unset" when NetworkManager is configured without it; null without NetworkManager. */
  nmDnsMode: string | null;
  sources: string[];
}

/** `nameserver` addresses of a resolv.conf, in order. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

/** One resolved.conf DNS= entry ("1.1.1.1", "1.1.1.1:53", "[2606:4700::1111]:853#cloudflare-dns.com", "9.9.9.9%eth0") to its address. */
export function resolvedServerAddress(entry: string): string {
  let s = entry.replace(/#.*$/, '');
  const bracket = /^\[([^\]]+)\](?::\d+)?/.exec(s);
  if (bracket) return bracket[1]!.replace(/%.*$/, '');
  s = s.replace(/%.*$/, '');
  if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.replace(/:\d+$/, '');
  return s;
}

/** Keys of one INI section across files, last assignment wins; an empty assignment resets list keys. */
export function iniSection(texts: string[], section: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of texts) {
    let current = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        current = sec[1]!.trim();
        continue;
      }
      if (current !== section) continue;
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
  }
  return out;
}

const RESOLVED_DROPINS = ['/etc/systemd/resolved.conf.d', '/run/systemd/resolved.conf.d', '/usr/local/lib/systemd/resolved.conf.d', '/usr/lib/systemd/resolved.conf.d'];
const NM_DROPINS = ['/etc/NetworkManager/conf.d', '/run/NetworkManager/conf.d', '/usr/lib/NetworkManager/conf.d'];

async function readAll(ctx: ScanContext, paths: string[], sources: string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const p of paths) {
    const t = await readFileOnce(ctx, p);
    if (t !== undefined) {
      texts.push(t);
      sources.push(p);
    }
  }
  return texts;
}

export function readDnsConfig(ctx: ScanContext): Promise<DnsConfig> {
  return ctx.memo('source:dns-config', async () => {
    const sources: string[] = [];
    const resolvText = await readFileOnce(ctx, '/etc/resolv.conf');
    if (resolvText !== undefined) sources.push('/etc/resolv.conf');
    const resolvConfTarget = (await ctx.host.readLink('/etc/resolv.conf')) ?? null;
    const resolvConf = resolvText === undefined ? undefined : parseResolvConf(resolvText);
    // On a disk image /run is empty, so a link to resolved's stub file dangles; the link itself says who manages DNS.
    const linkedToStub = resolvConfTarget !== null && /systemd\/resolve\/stub-resolv\.conf$/.test(resolvConfTarget);
    const stub = (resolvConf ?? []).some((a) => STUB_ADDRESSES.includes(a)) || (resolvConf === undefined && linkedToStub);
    const resolvedManaged = stub || (resolvConfTarget !== null && /systemd\/resolve\/resolv\.conf$/.test(resolvConfTarget));

    // resolved.conf: the main file, then drop-ins in name order (later wins).
    const resolvedDropIns = (await listDropIns(ctx, RESOLVED_DROPINS)).map((d) => d.path);
    const resolvedTexts = await readAll(ctx, ['/etc/systemd/resolved.conf', ...resolvedDropIns], sources);
    const resolve = iniSection(resolvedTexts, 'Resolve');
    const list = (k: string) => (resolve.get(k) ?? '').split(/\s+/).filter(Boolean).map(resolvedServerAddress);
    const configured = list('DNS').length > 0 ? list('DNS') : list('FallbackDNS');

    let resolvedRuntime: string[] | undefined;
    if (resolvedManaged) {
      const rt = await readFileOnce(ctx, '/run/systemd/resolve/resolv.conf');
      if (rt !== undefined) {
        sources.push('/run/systemd/resolve/resolv.conf');
        resolvedRuntime = parseResolvConf(rt);
      }
    }

    const nss = await readFileOnce(ctx, '/etc/nsswitch.conf');
    if (nss !== undefined) sources.push('/etc/nsswitch.conf');
    const hostsLine = nss === undefined ? null : (/^\s*hosts:\s*(.*?)\s*$/m.exec(nss)?.[1] ?? null);

    const nmDropIns = (await listDropIns(ctx, NM_DROPINS)).map((d) => d.path);
    const nmTexts = await readAll(ctx, ['/etc/NetworkManager/NetworkManager.conf', ...nmDropIns], sources);
    const nmMain = iniSection(nmTexts, 'main');
    const nmDnsMode = nmTexts.length === 0 ? null : (nmMain.get('dns') ?? 'unset');

    return {
      resolvConf,
      resolvConfTarget,
      stub,
      resolvedManaged,
      resolvedRuntime,
      resolvedConfigured: configured,
      dnsOverTls: resolve.get('DNSOverTLS') ?? null,
      nsswitchHosts: hostsLine,
      nmDnsMode,
      sources,
    };
  });
}
