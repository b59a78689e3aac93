/**
 * @module HTTPS_PROXY for the agent: an https.Agent that reaches an https (wss) collector through
 * an HTTP CONNECT proxy, so enroll, the challenge and the WebSocket all leave through it. TLS stays
 * end to end (the proxy sees only the collector's host and port); NO_PROXY hosts are dialled
 * directly. Plain-http collectors are never proxied (a CONNECT tunnel would add nothing but a hop
 * that can read the traffic). Proxy credentials in the URL (http://user:pass@proxy:3128) are sent
 * as Proxy-Authorization: Basic and never logged.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { AppError } from '../../shared/errors.js';

export interface ProxySettings {
  /** http://[user:pass@]host:port of the CONNECT proxy. */
  url: URL;
  /** NO_PROXY entries: host names, .domain suffixes, IP addresses, or "*". */
  noProxy: string[];
}

/** Parse HTTPS_PROXY / NO_PROXY values (already read from the environment by the config). */
export function parseProxy(httpsProxy: string | undefined, noProxy: string | undefined): ProxySettings | undefined {
  if (!httpsProxy) return undefined;
  let url: URL;
  try {
    url = new URL(httpsProxy.includes('://') ? httpsProxy : `http://${httpsProxy}`);
  } catch {
    throw new AppError('ERR_CONFIG_INVALID', 'invalid agent configuration:\n  HTTPS_PROXY: not a URL (expected http://host:port)');
  }
  if (url.protocol !== 'http:') throw new AppError('ERR_CONFIG_INVALID', `invalid agent configuration:\n  HTTPS_PROXY: only http:// CONNECT proxies are supported, not ${url.protocol}`);
  return { url, noProxy: (noProxy ?? '').split(/[,\s]+/).map((s) => s.trim().toLowerCase()).filter(Boolean) };
}

/** Whether NO_PROXY exempts this host. */
export function bypassesProxy(host: string, noProxy: string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    const e = entry.replace(/:\d+$/, '');
    if (net.isIP(h) || net.isIP(e)) return h === e;
    const bare = e.replace(/^\*?\./, '');
    return h === bare || h.endsWith(`.${bare}`);
  });
}

export class ConnectTunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: ProxySettings,
    private readonly timeoutMs: number,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(options: http.ClientRequestArgs & tls.ConnectionOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const tlsOptions: tls.ConnectionOptions = { ...options, host, port, servername: options.servername ?? (net.isIP(host) ? undefined : host) };
    if (bypassesProxy(host, this.proxy.noProxy)) return tls.connect(tlsOptions);
    const done = callback ?? (() => undefined);
    const { url } = this.proxy;
    const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
    const headers: Record<string, string> = { host: authority };
    if (url.username) headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    const req = http.request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80), method: 'CONNECT', path: authority, headers, timeout: this.timeoutMs, agent: false });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      done(Object.assign(err, { code: (err as NodeJS.ErrnoException).code ?? 'EPROXY' }), undefined as unknown as Duplex);
    };
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(new Error(`the proxy ${url.host} refused CONNECT ${authority}: HTTP ${res.statusCode}`));
        return;
      }
      if (settled) return socket.destroy();
      settled = true;
      const secure = tls.connect({ ...tlsOptions, socket });
      // Closing the TLS stream closes the tunnel too (the proxy holds a connection per tunnel).
      secure.once('close', () => socket.destroy());
      done(null, secure);
    });
    req.once('timeout', () => req.destroy(new Error(`the proxy ${url.host} did not answer CONNECT in ${this.timeoutMs} ms`)));
    req.once('error', fail);
    req.end();
    return undefined;
  }
}

/** The tunnel agent for these settings, or undefined when no proxy is configured. */
export function proxyAgent(proxy: ProxySettings | undefined, timeoutMs: number): https.Agent | undefined {
  return proxy ? new ConnectTunnelAgent(proxy, timeoutMs) : undefined;
}
