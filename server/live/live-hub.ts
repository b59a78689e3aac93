/**
 * @module The dashboard's live WebSocket (GET /api/v1/live?ticket=…): a `ws` server in noServer
 * mode, reached through the agent gateway's upgrade dispatch. The ticket is checked before the
 * socket exists. Each socket receives only events of agencies its user's scope covers; events
 * are batched per socket every FLUSH_MS, a burst is collapsed into one summary per agency, and
 * a consumer that cannot keep up (send buffer over MAX_BUFFERED_BYTES) is dropped — it
 * reconnects and re-reads. Users and the agency tree are re-checked every RECHECK_MS, so a
 * revoked user's socket closes and a new component becomes visible to its parent's viewers.
 * Flushes are paced (flush-pacer.ts): a lone event goes out on the next turn of the event loop,
 * a burst at most once per FLUSH_MS.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../shared/log.js';
import { scopeFor, type Scope } from '../auth/scope.js';
import { refuseUpgrade } from '../gateway/upgrade-auth.js';
import type { AgencyNode, Store, User } from '../store/store.js';
import { LiveBus, type LiveEvent } from './bus.js';
import { FlushPacer } from './flush-pacer.js';
import { TicketBook } from './tickets.js';

export const LIVE_PATH = '/api/v1/live';
/** At most one flush per this many ms; events arriving within it are sent together. */
export const FLUSH_MS = 50;
/** More events than this for one socket in one flush are collapsed into one per agency. */
export const BURST_LIMIT = 50;
export const MAX_BUFFERED_BYTES = 1024 * 1024;
export const MAX_LIVE_SOCKETS = 1000;
/** Events queued for one socket before the queue is collapsed early (per agency). */
export const MAX_PENDING = 5000;
const RECHECK_MS = 10_000;
const PING_MS = 30_000;
/** Close codes: 4401 the user's token was revoked; 4408 too slow to keep up. */
export const LIVE_CLOSE = { revoked: 4401, slow: 4408, shutdown: 1001 } as const;

interface LiveSocket {
  ws: WebSocket;
  user: User;
  tokenHash: string;
  scope: Scope;
  pending: LiveEvent[];
  alive: boolean;
}

export interface LiveStats {
  sockets: number;
  delivered: number;
  collapsed: number;
  droppedSlow: number;
}

export class LiveHub {
  readonly bus = new LiveBus();
  readonly tickets = new TicketBook();
  readonly stats: LiveStats = { sockets: 0, delivered: 0, collapsed: 0, droppedSlow: 0 };
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false });
  private readonly sockets = new Set<LiveSocket>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pacer = new FlushPacer(FLUSH_MS, () => this.flush());
  private unsubscribe: (() => void) | null = null;
  private tree: AgencyNode[] = [];
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.tree = await this.store.agencyTree();
    this.timers.push(setInterval(() => void this.recheck(), RECHECK_MS));
    this.timers.push(setInterval(() => this.ping(), PING_MS));
    for (const t of this.timers) t.unref();
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /** Upgrade handler for LIVE_PATH: a valid single-use ticket, a same-origin browser, room left. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.stopping) return refuseUpgrade(socket, 503, 'ERR_NOT_FOUND', 'the collector is shutting down');
    const url = new URL(req.url ?? '/', 'http://collector');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let sameHost = false;
      try {
        sameHost = new URL(origin).host === req.headers.host;
      } catch {
        sameHost = false;
      }
      if (!sameHost) return refuseUpgrade(socket, 403, 'ERR_AUTH_FORBIDDEN', 'live updates are served to the dashboard of this collector only');
    }
    const holder = this.tickets.consume(url.searchParams.get('ticket') ?? '');
    if (!holder) return refuseUpgrade(socket, 401, 'ERR_AUTH_TOKEN', 'the live ticket is unknown, used or expired; buy one with POST /api/v1/live/ticket');
    if (this.sockets.size >= MAX_LIVE_SOCKETS) return refuseUpgrade(socket, 503, 'ERR_INTERNAL', 'too many live dashboards are connected');
    // The scope is computed from the agency tree as it is now (components added since start count).
    this.store.agencyTree().then(
      (tree) => {
        this.tree = tree;
        if (socket.destroyed) return;
        this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, holder.user, holder.tokenHash));
      },
      (err: unknown) => {
        this.log.warn({ err }, 'could not read the agency tree for a live dashboard');
        refuseUpgrade(socket, 500, 'ERR_INTERNAL', 'the collector could not check this user\'s scope');
      },
    );
  }

  private onConnection(ws: WebSocket, user: User, tokenHash: string): void {
    const s: LiveSocket = { ws, user, tokenHash, scope: scopeFor(user, this.tree), pending: [], alive: true };
    this.sockets.add(s);
    this.stats.sockets = this.sockets.size;
    this.unsubscribe ??= this.bus.subscribe((e) => this.onEvent(e));
    ws.on('pong', () => (s.alive = true));
    // The browser never needs to send anything; whatever it sends is ignored.
    ws.on('message', () => {});
    ws.on('error', (err) => this.log.debug({ err }, 'live socket error'));
    ws.on('close', () => {
      this.sockets.delete(s);
      this.stats.sockets = this.sockets.size;
      if (this.sockets.size === 0 && this.unsubscribe) {
        this.unsubscribe();
        this.unsubscribe = null;
      }
    });
    this.log.debug({ user: user.name, role: user.role }, 'live dashboard connected');
  }

  private onEvent(e: LiveEvent): void {
    let any = false;
    for (const s of this.sockets) {
      if (!s.scope.canSee(e.agencyId)) continue;
      s.pending.push(e);
      // Bounded between flushes too: a huge burst is folded into per-agency summaries at once.
      if (s.pending.length >= MAX_PENDING) s.pending = this.collapse(s.pending);
      any = true;
    }
    if (any) this.pacer.request();
  }

  private flush(): void {
    for (const s of this.sockets) {
      if (s.pending.length === 0) continue;
      const events = s.pending.length > BURST_LIMIT ? this.collapse(s.pending) : s.pending;
      s.pending = [];
      if (s.ws.readyState !== s.ws.OPEN) continue;
      if (s.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.stats.droppedSlow++;
        this.log.info({ user: s.user.name, buffered: s.ws.bufferedAmount }, 'live dashboard too slow; dropping it');
        s.ws.close(LIVE_CLOSE.slow, 'too slow');
        continue;
      }
      for (const e of events) s.ws.send(JSON.stringify(e));
      this.stats.delivered += events.length;
    }
  }

  /** One summary per agency: the number of changes, the worst status, the latest time. */
  private collapse(events: LiveEvent[]): LiveEvent[] {
    const byAgency = new Map<number, LiveEvent>();
    const rank = (st: string | undefined) => (st === 'fail' ? 3 : st === 'error' ? 2 : st ? 1 : 0);
    for (const e of events) {
      const prev = byAgency.get(e.agencyId);
      const changes = e.type === 'result' ? e.changes : 1;
      const status = e.type === 'result' ? e.status : undefined;
      if (!prev || prev.type !== 'result') {
        byAgency.set(e.agencyId, { type: 'result', agency: e.agency, agencyId: e.agencyId, agentId: '', hostname: '', changes, status, at: e.at, sentAt: e.sentAt });
        continue;
      }
      prev.changes += changes;
      if (rank(status) > rank(prev.status)) prev.status = status;
      if (e.at > prev.at) prev.at = e.at;
      prev.sentAt = Math.min(prev.sentAt, e.sentAt);
    }
    this.stats.collapsed += events.length - byAgency.size;
    return [...byAgency.values()];
  }

  private async recheck(): Promise<void> {
    if (this.sockets.size === 0) return;
    try {
      this.tree = await this.store.agencyTree();
      for (const s of this.sockets) {
        const user = await this.store.findUserByTokenHash(s.tokenHash);
        if (!user) {
          s.ws.close(LIVE_CLOSE.revoked, 'ERR_AUTH_TOKEN');
          continue;
        }
        s.user = user;
        s.scope = scopeFor(user, this.tree);
      }
    } catch (err) {
      this.log.warn({ err }, 'could not re-check live dashboard users');
    }
  }

  private ping(): void {
    for (const s of this.sockets) {
      if (!s.alive) {
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.pacer.cancel();
    this.unsubscribe?.();
    for (const s of this.sockets) s.ws.close(LIVE_CLOSE.shutdown, 'collector shutting down');
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
