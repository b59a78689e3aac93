/**
 * @module The agent's TLS settings for an https/wss collector: a CA file to verify the collector
 * with (instead of the system CAs) and, for mutual TLS, a client certificate and key. The client
 * key file must be mode 0600 or stricter (refused otherwise, like the agent's identity key).
 * Also the one request function the enroll and challenge calls use, on node:http/node:https (not
 * fetch: it cannot take a CA or client certificate without an extra dependency, and loading it
 * costs the long-running daemon ~13 MB of resident memory for two small requests).
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { AppError } from '../../shared/errors.js';
import { parseProxy, proxyAgent } from './proxy-tunnel.js';

export interface AgentTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** HTTPS_PROXY tunnel (proxy-tunnel.ts); only used for https/wss URLs. */
  agent?: https.Agent;
}

async function read(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new AppError('ERR_TLS_CONFIG', `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Read the configured files; undefined when none is configured. */
export async function loadAgentTls(config: {
  caFile?: string | undefined;
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  httpsProxy?: string | undefined;
  noProxy?: string | undefined;
  connectTimeoutMs?: number;
}): Promise<AgentTls | undefined> {
  if (!config.caFile && !config.clientCert && !config.clientKey && !config.httpsProxy) return undefined;
  const tls: AgentTls = {};
  const agent = proxyAgent(parseProxy(config.httpsProxy, config.noProxy), config.connectTimeoutMs ?? 15_000);
  if (agent) tls.agent = agent;
  if (config.caFile) tls.ca = await read(config.caFile, 'CA file');
  if (config.clientCert && config.clientKey) {
    const st = await fs.stat(config.clientKey).catch(() => undefined);
    if (st && (st.mode & 0o077) !== 0) {
      throw new AppError('ERR_AGENT_KEY_PERMISSIONS', `${config.clientKey} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; a client key must be 0600 or stricter`);
    }
    tls.cert = await read(config.clientCert, 'client certificate');
    tls.key = await read(config.clientKey, 'client key');
  }
  return tls;
}

/**
 * One http or https request (the agent's TLS settings apply to https only); resolves with status
 * and body text. Redirects are not followed: a 3xx is an answer like any other non-2xx.
 */
export function httpText(method: 'GET' | 'POST', url: string, tls: AgentTls | undefined, options: { timeoutMs: number; body?: string }): Promise<{ ok: boolean; status: number; text: () => Promise<string> }> {
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      {
        method,
        ...(secure ? tls : {}),
        timeout: options.timeoutMs,
        headers: options.body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(options.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 1024 * 1024) req.destroy(new Error('answer larger than 1 MiB'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ ok: status >= 200 && status < 300, status, text: async () => body });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
    req.on('error', (err) => reject(Object.assign(new Error(err.message), { cause: { code: (err as NodeJS.ErrnoException).code ?? err.name } })));
    req.end(options.body);
  });
}
