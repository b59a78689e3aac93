/**
 * @module Abuse limits of the agent gateway, so one misbehaving client never makes the collector
 * unresponsive for the others: agent sockets per source address, upgrade attempts per agent id,
 * a deadline for upgrade authentication and for hello, frames per second per connection (token
 * bucket), and slow consumers (a socket whose send buffer stays over the limit is terminated).
 * Frame size is limited where frames arrive (agent-gateway.ts, ws maxPayload).
 */
import type { Logger } from '../../shared/log.js';
import type { ServerConfig } from '../config.js';
import type { AgentConnection } from './agent-connection.js';

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket: `rate` tokens per second, at most `burst`. */
function take(b: Bucket, rate: number, burst: number, now: number): boolean {
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

export class AbuseGuard {
  private readonly perAddress = new Map<string, number>();
  private readonly perAgent = new Map<string, Bucket>();
  private readonly frames = new WeakMap<AgentConnection, Bucket>();
  private readonly overSince = new WeakMap<AgentConnection, number>();
  /** Refusals and terminations by reason (tests, metrics, logs). */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly config: ServerConfig,
    private readonly log: Logger,
  ) {}

  private count(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** Reserve a socket slot for this address; false when it already holds the maximum. Release with releaseAddress. */
  admitAddress(address: string): boolean {
    const n = this.perAddress.get(address) ?? 0;
    if (n >= this.config.maxConnectionsPerAddress) {
      this.count('address');
      return false;
    }
    this.perAddress.set(address, n + 1);
    return true;
  }

  releaseAddress(address: string): void {
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, n);
  }

  /** One upgrade attempt for this agent id (per-minute budget, checked before any store access). */
  admitAgentAttempt(agentId: string, now = Date.now()): boolean {
    const perMinute = this.config.maxUpgradesPerAgentPerMinute;
    let b = this.perAgent.get(agentId);
    if (!b) {
      // Bounded memory: forget full buckets when the map grows large (they would refill anyway).
      if (this.perAgent.size > 100_000) this.prune(now);
      b = { tokens: perMinute, at: now };
      this.perAgent.set(agentId, b);
    }
    if (take(b, perMinute / 60, perMinute, now)) return true;
    this.count('agent');
    return false;
  }

  private prune(now: number): void {
    const perMinute = this.config.maxUpgradesPerAgentPerMinute;
    for (const [id, b] of this.perAgent) if (b.tokens + ((now - b.at) / 60_000) * perMinute >= perMinute) this.perAgent.delete(id);
  }

  /** One inbound frame on this connection; false when it exceeds the per-connection rate. */
  admitFrame(conn: AgentConnection, now = Date.now()): boolean {
    const rate = this.config.maxFramesPerSecond;
    let b = this.frames.get(conn);
    if (!b) {
      b = { tokens: rate * 2, at: now };
      this.frames.set(conn, b);
    }
    if (take(b, rate, rate * 2, now)) return true;
    this.count('rate');
    return false;
  }

  /** Close the connection if hello has not arrived by the deadline. */
  watchHello(conn: AgentConnection): void {
    const timer = setTimeout(() => {
      if (conn.closed || conn.ready) return;
      this.count('hello-timeout');
      conn.fail('ERR_PROTOCOL_TIMEOUT', `no hello within ${this.config.helloTimeoutMs} ms of the upgrade`);
    }, this.config.helloTimeoutMs);
    timer.unref();
  }

  /**
   * Terminate connections whose send buffer stayed above the limit for slowConsumerMs (an agent
   * that stopped reading): their queued acks and packs would otherwise grow without bound.
   */
  sweepSlowConsumers(conns: Iterable<AgentConnection>, now = Date.now()): number {
    let dropped = 0;
    for (const conn of conns) {
      if (conn.closed) continue;
      if (conn.ws.bufferedAmount <= this.config.sendBufferLimitBytes) {
        this.overSince.delete(conn);
        continue;
      }
      const since = this.overSince.get(conn);
      if (since === undefined) {
        this.overSince.set(conn, now);
        continue;
      }
      if (now - since < this.config.slowConsumerMs) continue;
      this.count('slow-consumer');
      this.log.warn({ agentId: conn.agentId, bufferedBytes: conn.ws.bufferedAmount, code: 'ERR_PROTOCOL_SLOW_CONSUMER' }, 'agent stopped reading; terminating its connection');
      conn.closed = true;
      conn.ws.terminate();
      dropped++;
    }
    return dropped;
  }
}
