/**
 * @module The agent's connection to the collector, as an explicit state machine (beszel's
 * ConnectionState): dial out, fetch a challenge, sign it, upgrade with the X-Rampart-* headers,
 * send hello, wait for welcome, then stay Ready with heartbeats until the socket drops; then
 * back off (full jitter) and dial again, rotating through the configured collector URLs.
 * A refusal that retrying cannot fix (revoked, unknown agent, bad signature, protocol
 * version) ends in Refused and a `fatal` event; the daemon exits non-zero.
 * This module moves frames; delivery.ts decides what to send.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { AppError, type ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import {
  AGENT_WS_PATH,
  CHALLENGE_PATH,
  CLOSE_CODES,
  ChallengeResponseSchema,
  CollectorFrameSchema,
  decodeFrame,
  HEADERS,
  PROTOCOL_DEFAULTS,
  PROTOCOL_VERSION,
  type AckFrame,
  type AgentFrame,
  type HeartbeatFrame,
  type HelloFrame,
  type PackFrame,
  type ResyncFrame,
  type WelcomeFrame,
} from '../../shared/protocol.js';
import { Backoff } from './backoff.js';
import { refusalFromBody, requestJson } from './http-client.js';
import { signChallenge, type Identity, type KeyPair } from './identity.js';
import type { AgentTls } from './tls-client.js';
import { MAX_PACK_FRAME_BYTES } from '../../shared/pack-bundle.js';

export enum ConnectionState {
  /** Created, not started. */
  Idle = 'idle',
  /** Fetching a challenge and opening the WebSocket. */
  Connecting = 'connecting',
  /** Socket open, hello sent, waiting for welcome. */
  Handshaking = 'handshaking',
  /** Welcome received: frames may flow. */
  Ready = 'ready',
  /** Waiting before the next attempt. */
  Backoff = 'backoff',
  /** The collector refused this agent for good (revoked, unknown, bad key, version). */
  Refused = 'refused',
  /** stop() was called. */
  Stopped = 'stopped',
}

/** Refusals that retrying cannot fix: the agent stops and exits non-zero. */
const FATAL_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'ERR_AUTH_REVOKED',
  'ERR_AUTH_UNKNOWN_AGENT',
  'ERR_AUTH_SIGNATURE',
  'ERR_PROTOCOL_VERSION',
  'ERR_PROTOCOL_IDENTITY',
]);

/** Close codes that mean the same. */
const FATAL_CLOSE: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [CLOSE_CODES.revoked, 'ERR_AUTH_REVOKED'],
  [CLOSE_CODES.version, 'ERR_PROTOCOL_VERSION'],
  [CLOSE_CODES.identity, 'ERR_PROTOCOL_IDENTITY'],
]);

export interface ConnectionHandlers {
  /** Build the hello frame for a fresh connection. */
  hello(): HelloFrame;
  /** Build a heartbeat frame. */
  heartbeat(): HeartbeatFrame;
  /** Welcome received; the connection is Ready. */
  ready(welcome: WelcomeFrame): void;
  /** An ack or resync arrived. */
  frame(frame: AckFrame | ResyncFrame): void;
  /** The Ready (or handshaking) connection is gone (with this close code): everything in flight is unacknowledged. */
  down(closeCode: number): void;
  /** A signed rule pack from the collector (verified by the receiver, never trusted as is). */
  pack?(frame: PackFrame): void;
}

export interface ConnectionOptions {
  identity: Identity;
  keys: KeyPair;
  /** Collector base URLs; attempts rotate through them. */
  serverUrls: readonly string[];
  backoffBaseMs: number;
  backoffCapMs: number;
  connectTimeoutMs: number;
  handlers: ConnectionHandlers;
  log: Logger;
  /** CA / client certificate for an https (wss) collector (tls-client.ts). */
  tls?: AgentTls | undefined;
  random?: () => number;
}

export interface ConnectionEvents {
  state: [ConnectionState];
  fatal: [AppError];
}

export class Connection extends EventEmitter<ConnectionEvents> {
  private current = ConnectionState.Idle;
  private ws: WebSocket | undefined;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private liveTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private heartbeatSeconds: number = PROTOCOL_DEFAULTS.heartbeatSeconds;
  private readonly log: Logger;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.backoff = new Backoff({ baseMs: options.backoffBaseMs, capMs: options.backoffCapMs, ...(options.random ? { random: options.random } : {}) });
    this.log = options.log;
  }

  get state(): ConnectionState {
    return this.current;
  }

  start(): void {
    if (this.current !== ConnectionState.Idle) return;
    void this.dial();
  }

  /** Send a frame on a Ready connection. False when not Ready (the frame stays queued by the caller). */
  send(frame: AgentFrame): boolean {
    if (this.current !== ConnectionState.Ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Close cleanly and stop reconnecting. */
  async stop(): Promise<void> {
    if (this.current === ConnectionState.Stopped) return;
    const ws = this.ws;
    this.setState(ConnectionState.Stopped);
    this.clearTimers();
    if (ws && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(CLOSE_CODES.normal, 'agent stopping');
      });
    } else ws?.terminate();
  }

  private setState(next: ConnectionState): void {
    if (this.current === next) return;
    this.log.debug({ from: this.current, to: next }, 'Connection state');
    this.current = next;
    this.emit('state', next);
  }

  private stopped(): boolean {
    return this.current === ConnectionState.Stopped || this.current === ConnectionState.Refused;
  }

  private async dial(): Promise<void> {
    if (this.stopped()) return;
    this.setState(ConnectionState.Connecting);
    const urls = this.options.serverUrls;
    const base = urls[this.attempt % urls.length]!;
    this.attempt++;
    const { identity, keys } = this.options;
    this.log.info({ server: base, attempt: this.backoff.attempts + 1 }, 'Connecting to the collector');
    try {
      const challenge = await requestJson(
        'GET',
        `${base}${CHALLENGE_PATH}?agentId=${encodeURIComponent(identity.agentId)}`,
        ChallengeResponseSchema,
        { timeoutMs: this.options.connectTimeoutMs, tls: this.options.tls, what: 'challenge' },
      );
      if (this.stopped()) return;
      const signature = signChallenge(keys.privateKey, identity.agentId, challenge.nonce);
      await this.open(base, challenge.nonce, signature);
      this.scheduleRetry();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Open the socket; resolves when it is closed again (or rejects if the upgrade fails). */
  private open(base: string, nonce: string, signature: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = base.replace(/^http/, 'ws') + AGENT_WS_PATH;
      const ws = new WebSocket(url, {
        headers: {
          [HEADERS.protocol]: String(PROTOCOL_VERSION),
          [HEADERS.agent]: this.options.identity.agentId,
          [HEADERS.nonce]: nonce,
          [HEADERS.signature]: signature,
        },
        handshakeTimeout: this.options.connectTimeoutMs,
        // Collector frames are small, except signed rule packs (shared/pack-bundle.ts).
        maxPayload: Math.max(PROTOCOL_DEFAULTS.maxFrameBytes, MAX_PACK_FRAME_BYTES),
        perMessageDeflate: false,
        ...(this.options.tls ?? {}),
        // The HTTPS_PROXY tunnel is an https agent: plain ws:// collectors are dialled directly.
        ...(url.startsWith('wss:') ? {} : { agent: undefined }),
      });
      this.ws = ws;
      let opened = false;
      let refusal: AppError | undefined;
      let settled = false;
      const settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      ws.on('unexpected-response', (req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          refusal = refusalFromBody(res.statusCode ?? 0, body, 'upgrade');
          req.destroy();
          ws.terminate();
          settle(refusal);
        });
        res.on('error', () => settle(new AppError('ERR_AGENT_SERVER_UNREACHABLE', 'upgrade refused and the answer was cut off')));
      });
      ws.on('open', () => {
        opened = true;
        if (this.stopped()) {
          ws.close(CLOSE_CODES.normal);
          return;
        }
        this.setState(ConnectionState.Handshaking);
        ws.send(JSON.stringify(this.options.handlers.hello()));
        this.armLiveness(ws);
      });
      ws.on('ping', () => this.armLiveness(ws));
      ws.on('message', (data, isBinary) => {
        this.armLiveness(ws);
        if (isBinary) {
          this.log.warn('Ignoring a binary message from the collector');
          return;
        }
        this.onMessage(ws, String(data));
      });
      ws.on('error', (err) => {
        if (!opened) settle(new AppError('ERR_AGENT_SERVER_UNREACHABLE', `cannot open ${url}: ${err.message}`, { cause: err }));
        else this.log.warn({ err: err.message }, 'WebSocket error');
      });
      ws.on('close', (code, reasonBuf) => {
        if (this.ws === ws) this.ws = undefined;
        const wasUp = this.current === ConnectionState.Ready || this.current === ConnectionState.Handshaking;
        this.clearLink();
        if (wasUp) this.options.handlers.down(code);
        if (!opened) return settle(refusal ?? new AppError('ERR_AGENT_SERVER_UNREACHABLE', `connection to ${url} closed before the upgrade (${code})`));
        const reason = reasonBuf.toString('utf8');
        const fatal = FATAL_CLOSE.get(code);
        if (fatal) return settle(new AppError(fatal, `collector closed the connection (${code}${reason ? `: ${reason}` : ''})`));
        if (!this.stopped()) this.log.warn({ code, reason }, 'Connection closed');
        settle();
      });
    });
  }

  private onMessage(ws: WebSocket, text: string): void {
    const decoded = decodeFrame(CollectorFrameSchema, text);
    if (!decoded.ok) {
      this.log.error({ code: decoded.rejection.code, message: decoded.rejection.message }, 'Collector sent a frame this agent does not understand; reconnecting');
      ws.terminate();
      return;
    }
    const frame = decoded.frame;
    switch (frame.type) {
      case 'welcome': {
        if (frame.agentId !== this.options.identity.agentId) {
          this.log.error({ agentId: frame.agentId }, 'Welcome names another agent; reconnecting');
          ws.terminate();
          return;
        }
        this.backoff.reset();
        this.heartbeatSeconds = frame.heartbeatSeconds;
        this.setState(ConnectionState.Ready);
        this.log.info({ agency: frame.agency, window: frame.window, lastSeq: frame.lastSeq }, 'Connected');
        this.heartbeatTimer = setInterval(() => this.send(this.options.handlers.heartbeat()), frame.heartbeatSeconds * 1000);
        this.heartbeatTimer.unref();
        this.options.handlers.ready(frame);
        return;
      }
      case 'error':
        this.log.error({ code: frame.code, message: frame.message }, 'Collector reported an error');
        return;
      case 'pack':
        if (this.current !== ConnectionState.Ready) {
          this.log.warn({ type: frame.type }, 'Frame before welcome ignored');
          return;
        }
        this.options.handlers.pack?.(frame);
        return;
      case 'ack':
      case 'resync':
        if (this.current !== ConnectionState.Ready) {
          this.log.warn({ type: frame.type }, 'Frame before welcome ignored');
          return;
        }
        this.options.handlers.frame(frame);
        return;
    }
  }

  /** No ping or message for three heartbeat periods: the link is dead, drop it and redial. */
  private armLiveness(ws: WebSocket): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    const ms = Math.max(this.heartbeatSeconds, PROTOCOL_DEFAULTS.heartbeatSeconds) * 3000;
    this.liveTimer = setTimeout(() => {
      this.log.warn({ silentMs: ms }, 'Collector silent; dropping the connection');
      ws.terminate();
    }, ms);
    this.liveTimer.unref();
  }

  private failed(err: unknown): void {
    if (this.stopped()) return;
    const appErr = err instanceof AppError ? err : new AppError('ERR_AGENT_SERVER_UNREACHABLE', (err as Error)?.message ?? String(err), { cause: err });
    if (FATAL_CODES.has(appErr.code)) {
      this.setState(ConnectionState.Refused);
      this.clearTimers();
      this.log.fatal({ code: appErr.code, message: appErr.message }, 'The collector refused this agent; not retrying');
      this.emit('fatal', appErr);
      return;
    }
    this.log.warn({ code: appErr.code, message: appErr.message }, 'Connection attempt failed');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped()) return;
    this.setState(ConnectionState.Backoff);
    const delayMs = this.backoff.next();
    this.log.info({ delayMs, attempt: this.backoff.attempts }, 'Reconnecting after backoff');
    this.retryTimer = setTimeout(() => void this.dial(), delayMs);
  }

  private clearLink(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.heartbeatTimer = undefined;
    this.liveTimer = undefined;
  }

  private clearTimers(): void {
    this.clearLink();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
