/**
 * @module Live updates across collector replicas on one PostgreSQL database, with LISTEN/NOTIFY
 * (docs/architecture.md says why not NATS). Each replica forwards the events its own local bus
 * publishes (already after commit) to one channel, in NOTIFY payloads under PostgreSQL's
 * 8000-byte limit (a lone event at once, a burst packed into at most one round per GATHER_MS);
 * it LISTENs on the same channel on a dedicated connection, drops its own messages (origin id)
 * and re-publishes the others' events on its local bus, where its dashboards' live sockets pick
 * them up. The channel is named after
 * the schema, so deployments (and test runs) sharing a database never hear each other.
 *
 * Delivery is best effort, like the local bus: a replica that is disconnected from PostgreSQL
 * misses what was sent meanwhile (dashboards re-read over HTTP when they reconnect).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import type { Logger } from '../../shared/log.js';
import { LiveEventSchema, type LiveBus, type LiveEvent } from './bus.js';
import { FlushPacer } from './flush-pacer.js';

/** NOTIFY payloads must stay below 8000 bytes. */
const MAX_PAYLOAD = 7500;
/**
 * At most one NOTIFY round per this many ms: a lone event goes out on the next turn of the event
 * loop, a burst is gathered (and while a NOTIFY is in flight, the next events wait for it).
 */
const GATHER_MS = 10;
/** Events waiting for the database beyond this are dropped (a stalled database must not grow memory). */
const MAX_PENDING = 10_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

const EnvelopeSchema = z.object({ o: z.string(), e: z.array(z.unknown()) });

export interface FanoutOptions {
  url: string;
  schema?: string;
}

export interface FanoutStats {
  sent: number;
  received: number;
  dropped: number;
  notifies: number;
}

export function channelFor(schema: string | undefined): string {
  return `rampart_live_${schema ?? 'public'}`;
}

export class PgLiveFanout {
  /** Identifies this replica's messages on the shared channel. */
  readonly origin = randomUUID();
  readonly channel: string;
  readonly stats: FanoutStats = { sent: 0, received: 0, dropped: 0, notifies: 0 };
  /** Events that came from another replica: never sent back out. */
  private readonly remote = new WeakSet<LiveEvent>();
  private readonly pool: pg.Pool;
  private listener: pg.Client | null = null;
  private pending: LiveEvent[] = [];
  private readonly pacer = new FlushPacer(GATHER_MS, () => void this.flush());
  private sending = false;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private reconnectMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: FanoutOptions,
    private readonly bus: LiveBus,
    private readonly log: Logger,
  ) {
    this.channel = channelFor(options.schema);
    this.pool = new pg.Pool({ connectionString: options.url, max: 1, application_name: 'rampart-live-fanout' });
    this.pool.on('error', () => {});
  }

  async start(): Promise<void> {
    await this.listen();
    this.unsubscribe = this.bus.subscribe((e) => this.onLocal(e));
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'rampart-live-listen' });
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload) this.onRemote(msg.payload);
    });
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'live fan-out listener lost its connection; reconnecting');
      this.scheduleReconnect();
    });
    client.on('end', () => this.scheduleReconnect());
    await client.connect();
    // The channel is an identifier built from a validated schema name (config / pg-pool checks it).
    await client.query(`LISTEN ${this.channel}`);
    this.listener = client;
    this.reconnectMs = RECONNECT_MIN_MS;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const old = this.listener;
    this.listener = null;
    old?.removeAllListeners();
    void old?.end().catch(() => {});
    const delay = this.reconnectMs * (0.5 + Math.random());
    this.reconnectMs = Math.min(RECONNECT_MAX_MS, this.reconnectMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listen().catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'live fan-out listener could not reconnect');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private onLocal(e: LiveEvent): void {
    if (this.remote.has(e) || this.stopped) return;
    if (this.pending.length >= MAX_PENDING) {
      this.stats.dropped++;
      return;
    }
    this.pending.push(e);
    this.pacer.request();
  }

  private onRemote(payload: string): void {
    let envelope: z.infer<typeof EnvelopeSchema>;
    try {
      const parsed = EnvelopeSchema.safeParse(JSON.parse(payload));
      if (!parsed.success) return;
      envelope = parsed.data;
    } catch {
      return;
    }
    if (envelope.o === this.origin) return;
    for (const raw of envelope.e) {
      const ev = LiveEventSchema.safeParse(raw);
      if (!ev.success) continue;
      this.stats.received++;
      this.remote.add(ev.data);
      this.bus.publish(ev.data);
    }
  }

  /** Send what is pending as few NOTIFYs as the payload limit allows. */
  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        for (const payload of pack(this.origin, batch)) {
          await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
          this.stats.notifies++;
        }
        this.stats.sent += batch.length;
      }
    } catch (err) {
      this.stats.dropped += this.pending.length;
      this.pending = [];
      this.log.warn({ err: (err as Error).message }, 'live fan-out could not notify other replicas');
    } finally {
      this.sending = false;
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.pacer.cancel();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.flush();
    const l = this.listener;
    this.listener = null;
    l?.removeAllListeners();
    await l?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}

/** Split events into envelopes `{"o":origin,"e":[...]}` each under MAX_PAYLOAD bytes (an oversized single event is skipped). */
export function pack(origin: string, events: readonly LiveEvent[]): string[] {
  const head = `{"o":${JSON.stringify(origin)},"e":[`;
  const out: string[] = [];
  let parts: string[] = [];
  let size = head.length + 2;
  for (const e of events) {
    const text = JSON.stringify(e);
    const bytes = Buffer.byteLength(text);
    if (head.length + 2 + bytes > MAX_PAYLOAD) continue;
    if (size + bytes + 1 > MAX_PAYLOAD && parts.length > 0) {
      out.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = head.length + 2;
    }
    parts.push(text);
    size += bytes + 1;
  }
  if (parts.length > 0) out.push(`${head}${parts.join(',')}]}`);
  return out;
}
