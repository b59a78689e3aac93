/**
 * @module One authenticated agent socket: its identity, protocol state (hello seen, frames in
 * flight), liveness and the single way it ends (`fail` with a coded error and close code).
 */
import type { WebSocket } from 'ws';
import { AppError, ERRORS, type ErrorCode } from '../../shared/errors.js';
import { CLOSE_CODES, PROTOCOL_VERSION, encodeFrame, type CollectorFrame } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';

export interface AgentIdentity {
  agentId: string;
  agencyId: number;
  agencyName: string;
  hostname: string;
}

let nextConnectionId = 1;

export class AgentConnection {
  readonly id = nextConnectionId++;
  /** hello received and accepted. */
  ready = false;
  /** Sequenced frames parsed but not yet acknowledged. */
  inflight = 0;
  /** Raw frames queued in the inbox, not yet parsed. */
  queued = 0;
  /** Answered the last ping (ws FAQ heartbeat pattern). */
  alive = true;
  closed = false;
  revoked = false;
  lastSeenAt = new Date().toISOString();
  seenDirty = true;
  outboxDepth: number | undefined;
  dropped: number | undefined;
  paused = false;
  /** Metrics hook (server/metrics.ts): called once with the code when the collector ends this connection with an error. */
  onFail: ((code: ErrorCode) => void) | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly identity: AgentIdentity,
    readonly log: Logger,
  ) {}

  get agentId(): string {
    return this.identity.agentId;
  }

  touch(): void {
    this.lastSeenAt = new Date().toISOString();
    this.seenDirty = true;
  }

  send(frame: CollectorFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(frame));
  }

  /** Send an `error` frame, then close with the code's WebSocket close code. Idempotent. */
  fail(code: ErrorCode, message: string, closeCode?: number): void {
    if (this.closed) return;
    this.onFail?.(code);
    const spec = ERRORS[code] as { closeCode?: number };
    const close = closeCode ?? spec.closeCode ?? CLOSE_CODES.invalidFrame;
    this.log.warn({ agentId: this.agentId, code, closeCode: close }, 'closing agent connection');
    this.send({ v: PROTOCOL_VERSION, type: 'error', code, message });
    this.closed = true;
    // Close reasons are limited to 123 bytes; the code says enough.
    this.ws.close(close, code);
    // A peer that never answers the close handshake must not hold the socket.
    const timer = setTimeout(() => this.ws.terminate(), 5000);
    timer.unref();
  }

  failWith(err: AppError): void {
    this.fail(err.code, err.message);
  }

  /** Close without an error (shutdown). */
  end(closeCode: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(closeCode, reason);
  }
}
