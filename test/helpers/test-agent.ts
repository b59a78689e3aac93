/**
 * @module A tiny protocol-speaking agent for collector tests and benchmarks: Ed25519 keys from
 * node:crypto, enrollment, challenge + signed upgrade, and frame helpers. The real daemon lives
 * in agent/daemon/; this one exists so the collector can be tested on its own.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import {
  AGENT_WS_PATH,
  CHALLENGE_PATH,
  CollectorFrameSchema,
  ENROLL_PATH,
  HEADERS,
  PROTOCOL_VERSION,
  authMessage,
  type AgentFrame,
  type CollectorFrame,
  type ResultItem,
} from '../../shared/protocol.js';
import type { CheckStatus, HostFacts } from '../../shared/result.js';

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export async function httpJson(url: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body };
}

export function hostFacts(hostname: string): HostFacts {
  return { hostname, os: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, mode: 'live', root: '/', container: true };
}

export function makeResult(ruleId: string, status: CheckStatus, over: Partial<ResultItem> = {}): ResultItem {
  return {
    ruleId,
    packId: 'test-pack',
    title: `Rule ${ruleId}`,
    severity: 'medium',
    status,
    expected: 'value is 0',
    observed: status === 'pass' ? 'value is 0' : 'value is 1',
    evidence: [{ probe: 'sysctl', params: { key: 'net.ipv4.ip_forward' }, status, expected: 'runtime eq 0', observed: { runtime: status === 'pass' ? 0 : 1 }, sources: ['/proc/sys/net/ipv4/ip_forward'] }],
    references: { directives: ['M-22-09'], nist: ['CM-7'], stig: [], cis: [], cac: [], cve: [], other: [] },
    remediation: 'Set it to 0.',
    durationMs: 1,
    ...over,
  };
}

export interface Closed {
  code: number;
  reason: string;
}

/** A connected socket with a frame queue. */
export class AgentSocket {
  private readonly frames: CollectorFrame[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<Closed>;
  isClosed = false;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(CollectorFrameSchema.parse(JSON.parse(String(data))));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.wake();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: AgentFrame | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Next frame matching `pred` (frames before it stay queued); rejects when the socket closes first. */
  async next<T extends CollectorFrame['type']>(type: T, pred: (f: Extract<CollectorFrame, { type: T }>) => boolean = () => true, timeoutMs = 10_000): Promise<Extract<CollectorFrame, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.type === type && pred(f as Extract<CollectorFrame, { type: T }>));
      if (i >= 0) return this.frames.splice(i, 1)[0] as Extract<CollectorFrame, { type: T }>;
      if (this.isClosed) throw new Error(`socket closed while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  received(): CollectorFrame[] {
    return [...this.frames];
  }

  close(): void {
    this.ws.close(1000);
  }
}

export interface ConnectOptions {
  protocolHeader?: string | null;
  signWith?: KeyObject;
  nonce?: string;
  agentIdHeader?: string;
  /** false: never answer the collector's pings (a dead peer). */
  autoPong?: boolean;
}

export type UpgradeResult = { ok: true; socket: AgentSocket } | { ok: false; status: number; body: unknown };

export class TestAgent {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  agentId = '';
  agency = '';
  seq = 0;

  constructor(
    readonly baseUrl: string,
    readonly hostname = `host-${Math.random().toString(36).slice(2, 8)}`,
  ) {
    const pair = generateKeyPairSync('ed25519');
    this.publicKey = pair.publicKey;
    this.privateKey = pair.privateKey;
  }

  publicKeyB64(): string {
    return this.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  async enroll(token: string, extra: Record<string, unknown> = {}): Promise<HttpAnswer> {
    const answer = await httpJson(this.baseUrl + ENROLL_PATH, {
      body: { token, publicKey: this.publicKeyB64(), hostname: this.hostname, agentVersion: '0.1.0-test', ...extra },
    });
    if (answer.status === 200) {
      const b = answer.body as { agentId: string; agency: string };
      this.agentId = b.agentId;
      this.agency = b.agency;
    }
    return answer;
  }

  async challenge(agentId = this.agentId): Promise<HttpAnswer> {
    return httpJson(`${this.baseUrl}${CHALLENGE_PATH}?agentId=${encodeURIComponent(agentId)}`);
  }

  /** Challenge, sign, upgrade. Refusals come back as {ok:false, status, body}. */
  async upgrade(opts: ConnectOptions = {}): Promise<UpgradeResult> {
    let nonce = opts.nonce;
    if (nonce === undefined) {
      const c = await this.challenge();
      if (c.status !== 200) return { ok: false, status: c.status, body: c.body };
      nonce = (c.body as { nonce: string }).nonce;
    }
    const agentId = opts.agentIdHeader ?? this.agentId;
    const signature = sign(null, Buffer.from(authMessage(agentId, nonce), 'utf8'), opts.signWith ?? this.privateKey).toString('base64');
    const headers: Record<string, string> = { [HEADERS.agent]: agentId, [HEADERS.nonce]: nonce, [HEADERS.signature]: signature };
    if (opts.protocolHeader !== null) headers[HEADERS.protocol] = opts.protocolHeader ?? String(PROTOCOL_VERSION);
    const ws = new WebSocket(this.baseUrl.replace(/^http/, 'ws') + AGENT_WS_PATH, { headers, autoPong: opts.autoPong ?? true });
    return new Promise((resolve) => {
      ws.once('open', () => resolve({ ok: true, socket: new AgentSocket(ws) }));
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* text */
          }
          resolve({ ok: false, status: res.statusCode ?? 0, body });
        });
      });
      ws.once('error', () => {});
    });
  }

  /** Upgrade, hello, welcome. */
  async connect(): Promise<{ socket: AgentSocket; welcome: Extract<CollectorFrame, { type: 'welcome' }> }> {
    const up = await this.upgrade();
    if (!up.ok) throw new Error(`upgrade refused: ${up.status} ${JSON.stringify(up.body)}`);
    up.socket.send({ v: 1, type: 'hello', agentVersion: '0.1.0-test', host: hostFacts(this.hostname), packs: [], lastAckedSeq: this.seq });
    const welcome = await up.socket.next('welcome');
    return { socket: up.socket, welcome };
  }

  resultsFrame(results: ResultItem[], opts: { seq?: number; full?: boolean; scanId?: string; scannedAt?: string } = {}) {
    const seq = opts.seq ?? ++this.seq;
    return {
      v: 1 as const,
      type: 'results' as const,
      seq,
      scanId: opts.scanId ?? `scan-${seq}`,
      scannedAt: opts.scannedAt ?? new Date().toISOString(),
      packs: [],
      full: opts.full ?? true,
      results,
    };
  }
}
