/**
 * @module The agent WebSocket gateway: a `ws` server in noServer mode on the HTTP server's
 * `upgrade` event. Authenticates before handleUpgrade, keeps the live connection registry,
 * pings (terminating dead sockets), writes last-seen in batches, and closes revoked agents at
 * once (revocations from another process are polled).
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AppError, isAppError } from '../../shared/errors.js';
import { AGENT_WS_PATH, CLOSE_CODES } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import type { ServerConfig } from '../config.js';
import type { IngestPipeline } from '../ingest/ingest-pipeline.js';
import type { Store } from '../store/store.js';
import { AgentConnection, type AgentIdentity } from './agent-connection.js';
import { FrameInbox } from './frame-inbox.js';
import { authenticateUpgrade, refuseUpgrade } from './upgrade-auth.js';
import { AbuseGuard } from './abuse-guard.js';
import { clientCertProblem } from '../http/tls.js';

/** A socket error before or after the upgrade ends the socket (module-level: it holds no request). */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** ws refuses (1009, before reading) frames this many times larger than maxFrameBytes; between 1× and this, we answer 4413. */
const HARD_PAYLOAD_FACTOR = 4;
const TOUCH_CHUNK = 500;

export class AgentGateway {
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<string, AgentConnection>();
  private readonly inbox: FrameInbox;
  private readonly timers: NodeJS.Timeout[] = [];
  private lastRevocationCheck = new Date().toISOString();
  private flushing: Promise<void> | null = null;
  private stopping = false;
  /** Abuse limits (abuse-guard.ts): per address, per agent id, rate, hello deadline, slow consumers. */
  readonly guard: AbuseGuard;
  /** Upgrades refused, by error code (tests and metrics). */
  readonly refused = new Map<string, number>();
  /** Other WebSocket endpoints on the same HTTP server, by path (the dashboard's live feed). */
  readonly upgradeRoutes = new Map<string, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();
  /** Called when an agent connects (true) or its connection ends (false); heartbeat misses end it. */
  onPresence: (identity: AgentIdentity, online: boolean) => void = () => {};
  /** Called with the error code whenever an open agent connection is ended with an error (metrics). */
  onReject: (code: string) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly pipeline: IngestPipeline,
    private readonly config: ServerConfig,
    private readonly log: Logger,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes * HARD_PAYLOAD_FACTOR,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.guard = new AbuseGuard(config, log);
    this.inbox = new FrameInbox({ store, pipeline, config }, config.inboxHighWaterBytes, log, () => this.connections.values());
  }

  attach(server: HttpServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.timers.push(setInterval(() => this.pingAll(), this.config.heartbeatSeconds * 1000));
    this.timers.push(setInterval(() => void this.flushLastSeen(), this.config.lastSeenFlushSeconds * 1000));
    this.timers.push(setInterval(() => void this.pollRevocations(), this.config.revocationPollMs));
    this.timers.push(setInterval(() => this.guard.sweepSlowConsumers(this.connections.values()), Math.min(1000, this.config.slowConsumerMs)));
    for (const t of this.timers) t.unref();
    // Slow request headers (including the upgrade request) cannot hold a socket for long.
    server.headersTimeout = Math.min(server.headersTimeout || Infinity, this.config.authTimeoutMs);
  }

  get connectedCount(): number {
    return this.connections.size;
  }

  /** Raw frames waiting to be parsed, paused sockets, and how often every socket was paused. */
  inboxStats(): ReturnType<FrameInbox['stats']> {
    return this.inbox.stats();
  }

  isConnected(agentId: string): boolean {
    return this.connections.has(agentId);
  }

  /** The live agent connections (read-only use: pack distribution, abuse checks). */
  liveConnections(): IterableIterator<AgentConnection> {
    return this.connections.values();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const path = (req.url ?? '').split('?')[0];
    const other = this.stopping ? undefined : this.upgradeRoutes.get(path ?? '');
    if (other) {
      other(req, socket, head);
      return;
    }
    if (path !== AGENT_WS_PATH || this.stopping) {
      refuseUpgrade(socket, this.stopping ? 503 : 404, 'ERR_NOT_FOUND', this.stopping ? 'the collector is shutting down' : `no WebSocket at ${path}`);
      return;
    }
    // Abuse limits before any store access: client certificate (mutual TLS), sockets per address,
    // attempts per agent id; then authentication must finish within authTimeoutMs.
    const early = clientCertProblem(req, this.config);
    const address = req.socket.remoteAddress ?? 'unknown';
    const agentHeader = req.headers['x-rampart-agent'];
    let settled = false;
    const refused = (err: unknown) => {
      if (settled) return;
      settled = true;
      const appErr = isAppError(err) ? err : new AppError('ERR_INTERNAL', 'authentication failed unexpectedly', { cause: err });
      if (!isAppError(err)) this.log.error({ err }, 'upgrade authentication failed');
      this.refused.set(appErr.code, (this.refused.get(appErr.code) ?? 0) + 1);
      this.log.info({ code: appErr.code, agentId: req.headers['x-rampart-agent'] }, 'agent upgrade refused');
      refuseUpgrade(socket, appErr.status ?? 500, appErr.code, appErr.message);
    };
    if (early) return refused(early);
    if (!this.guard.admitAddress(address)) return refused(new AppError('ERR_AUTH_LIMIT', `more than ${this.config.maxConnectionsPerAddress} agent connections from this address`));
    if (socket.destroyed) {
      this.guard.releaseAddress(address);
      return;
    }
    this.releaseOnClose(socket, address);
    if (typeof agentHeader === 'string' && !this.guard.admitAgentAttempt(agentHeader)) {
      return refused(new AppError('ERR_AUTH_LIMIT', `more than ${this.config.maxUpgradesPerAgentPerMinute} connection attempts per minute for this agent; back off`));
    }
    const deadline = setTimeout(() => refused(new AppError('ERR_PROTOCOL_TIMEOUT', `authentication did not finish within ${this.config.authTimeoutMs} ms`)), this.config.authTimeoutMs);
    deadline.unref();
    authenticateUpgrade(req, this.store).then(
      (identity) => {
        clearTimeout(deadline);
        if (settled || socket.destroyed) return;
        settled = true;
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, identity));
      },
      (err: unknown) => {
        clearTimeout(deadline);
        refused(err);
      },
    );
  }

  /**
   * The socket's close listener lives as long as the connection, so it is made here and not in
   * onUpgrade: a closure there would keep onUpgrade's whole scope — the upgrade request with its
   * headers — for every connected agent (~2 KB each, 20 MB at 10,000 agents).
   */
  private releaseOnClose(socket: Duplex, address: string): void {
    socket.once('close', () => this.guard.releaseAddress(address));
  }

  private onConnection(ws: WebSocket, identity: AgentIdentity): void {
    const conn = new AgentConnection(ws, identity, this.log);
    conn.onFail = (code) => this.onReject(code);
    const previous = this.connections.get(identity.agentId);
    if (previous) previous.fail('ERR_PROTOCOL_SUPERSEDED', 'a newer connection of this agent replaced this one');
    this.connections.set(identity.agentId, conn);
    if (!previous) this.onPresence(identity, true);
    this.guard.watchHello(conn);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (conn.closed) return;
      if (!this.guard.admitFrame(conn)) {
        conn.fail('ERR_PROTOCOL_RATE', `more than ${this.config.maxFramesPerSecond} frames per second on one connection`);
        return;
      }
      conn.touch();
      if (isBinary) {
        conn.fail('ERR_PROTOCOL_INVALID_FRAME', 'frames are JSON text, not binary');
        return;
      }
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (buf.length > this.config.maxFrameBytes) {
        conn.fail('ERR_PROTOCOL_FRAME_TOO_LARGE', `frame of ${buf.length} bytes exceeds the limit of ${this.config.maxFrameBytes}`);
        return;
      }
      this.inbox.push(conn, buf);
    });
    ws.on('pong', () => {
      conn.alive = true;
      conn.touch();
    });
    ws.on('error', (err) => this.log.debug({ err, agentId: identity.agentId }, 'agent socket error'));
    ws.on('close', (code) => {
      conn.closed = true;
      this.inbox.forget(conn);
      if (this.connections.get(identity.agentId) === conn) {
        this.connections.delete(identity.agentId);
        if (!this.stopping) this.onPresence(identity, false);
      }
      this.log.debug({ agentId: identity.agentId, code }, 'agent disconnected');
    });
  }

  /** Close a live agent socket now (4401) and drop its unparsed and uncommitted frames. */
  closeRevoked(agentId: string): boolean {
    const conn = this.connections.get(agentId);
    if (!conn) return false;
    conn.revoked = true;
    conn.fail('ERR_AUTH_REVOKED', 'this agent has been revoked');
    return true;
  }

  private pingAll(): void {
    const conns = [...this.connections.values()];
    const step = (from: number): void => {
      for (let i = from; i < Math.min(from + TOUCH_CHUNK, conns.length); i++) {
        const c = conns[i]!;
        if (c.closed) continue;
        if (!c.alive) {
          this.log.info({ agentId: c.agentId }, 'agent missed a heartbeat; terminating');
          c.closed = true;
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
      if (from + TOUCH_CHUNK < conns.length) setImmediate(() => step(from + TOUCH_CHUNK));
    };
    step(0);
  }

  /** One last-seen flush at a time: a tick that finds one running skips; close waits for it. */
  private flushLastSeen(): Promise<void> {
    this.flushing ??= this.writeLastSeen().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async writeLastSeen(): Promise<void> {
    if (this.log.isLevelEnabled('debug')) {
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1048576);
      this.log.debug(
        {
          connections: this.connections.size,
          inbox: this.inbox.stats(),
          pipeline: { frames: this.pipeline.depth, ...this.pipeline.stats },
          memoryMB: { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) },
        },
        'ingest backlog',
      );
    }
    const dirty = [...this.connections.values()].filter((c) => c.seenDirty);
    for (let i = 0; i < dirty.length; i += TOUCH_CHUNK) {
      const chunk = dirty.slice(i, i + TOUCH_CHUNK);
      for (const c of chunk) c.seenDirty = false;
      try {
        await this.store.touchAgents(chunk.map((c) => ({ id: c.agentId, lastSeenAt: c.lastSeenAt, outboxDepth: c.outboxDepth, dropped: c.dropped })));
      } catch (err) {
        // Written at the next flush instead (unless a newer touch already marked them).
        for (const c of chunk) c.seenDirty = true;
        this.log.warn({ err }, 'could not record last-seen times');
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  private async pollRevocations(): Promise<void> {
    if (this.connections.size === 0) return;
    // Overlap the previous window: a revocation stamped just before our last check may have
    // committed just after it.
    const since = new Date(Date.parse(this.lastRevocationCheck) - 5000).toISOString();
    this.lastRevocationCheck = new Date().toISOString();
    try {
      for (const { id } of await this.store.revokedSince(since)) this.closeRevoked(id);
    } catch (err) {
      this.log.warn({ err }, 'could not poll revocations');
    }
  }

  /** Stop accepting agents, record last-seen, close every socket with 1001 (going away). */
  async close(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    // A flush already running covers only the agents it started with: wait for it, then the last one.
    await this.flushing;
    await this.flushLastSeen();
    for (const c of this.connections.values()) c.end(CLOSE_CODES.goingAway, 'collector shutting down');
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
