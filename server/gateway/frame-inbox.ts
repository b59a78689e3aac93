/**
 * @module The edge: raw agent messages wait here and are parsed once (JSON, version, zod
 * discriminated union) in time-boxed slices scheduled with setImmediate, so a flood of frames
 * from thousands of sockets never holds the event loop for long. When too many bytes wait, or
 * the ingest pipeline is full, sockets are paused (TCP pushes back on the agents) and resumed
 * once the backlog drains.
 */
import { AgentFrameSchema, decodeFrame } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import { dispatchFrame, type HandlerContext } from '../handlers/index.js';
import type { AgentConnection } from './agent-connection.js';

interface Raw {
  conn: AgentConnection;
  data: Buffer;
}

/** Longest one parsing slice may run before yielding to I/O and timers. */
const SLICE_MS = 4;
/**
 * Paused sockets resumed per step, oldest first: resuming thousands at once would let each
 * deliver a read buffer in the same tick (a burst of tens of MB).
 */
const RESUME_BATCH = 64;

export class FrameInbox {
  private queue: Raw[] = [];
  private head = 0;
  private bytes = 0;
  private scheduled = false;
  private paused: AgentConnection[] = [];
  private resumeScheduled = false;
  /** Every socket was paused at the high-water mark; cleared once the backlog halves. */
  private stopped = false;
  /** Times every socket was paused (metrics: the collector shedding load). */
  private stops = 0;

  constructor(
    private readonly ctx: HandlerContext,
    private readonly highWaterBytes: number,
    private readonly log: Logger,
    /** The live connections (to pause them all at the high-water mark). */
    private readonly connections: () => Iterable<AgentConnection> = () => [],
  ) {
    ctx.pipeline.onDrain = () => {
      this.maybeResume();
      if (this.depth > 0) this.schedule();
    };
  }

  get depth(): number {
    return this.queue.length - this.head;
  }

  /** Backlog figures for logs and metrics. */
  stats(): { frames: number; bytes: number; pausedSockets: number; stops: number } {
    return { frames: this.depth, bytes: this.bytes, pausedSockets: this.paused.length, stops: this.stops };
  }

  push(conn: AgentConnection, data: Buffer): void {
    this.queue.push({ conn, data });
    this.bytes += data.length;
    conn.queued++;
    if (this.bytes > this.highWaterBytes || this.ctx.pipeline.full) {
      this.pause(conn);
      // Crossing the mark stops every reader at once: each unpaused socket could otherwise
      // deliver a frame more before its own turn (thousands of agents × a frame each).
      if (!this.stopped) {
        this.stopped = true;
        this.stops++;
        for (const c of this.connections()) this.pause(c);
      }
    }
    this.schedule();
  }

  private pause(conn: AgentConnection): void {
    if (conn.paused || conn.closed) return;
    conn.paused = true;
    conn.ws.pause();
    this.paused.push(conn);
  }

  private maybeResume(): void {
    if (this.paused.length === 0 || this.bytes > this.highWaterBytes / 2 || this.ctx.pipeline.full) return;
    this.stopped = false;
    const batch = this.paused.splice(0, RESUME_BATCH);
    for (const conn of batch) {
      if (!conn.paused || conn.closed) continue;
      conn.paused = false;
      conn.ws.resume();
    }
    // Sockets resumed with nothing to read never trigger a drain; keep resuming the rest.
    if (this.paused.length > 0 && !this.resumeScheduled) {
      this.resumeScheduled = true;
      setImmediate(() => {
        this.resumeScheduled = false;
        this.maybeResume();
      });
    }
  }

  /** A closed connection leaves the paused list lazily (no scan per close: thousands may close at once). */
  forget(conn: AgentConnection): void {
    conn.paused = false;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const deadline = performance.now() + SLICE_MS;
    let n = 0;
    while (this.head < this.queue.length) {
      // The pipeline resumes us (onDrain) once it has room again.
      if (this.ctx.pipeline.full) break;
      const raw = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Raw;
      this.head++;
      this.bytes -= raw.data.length;
      raw.conn.queued--;
      if (!raw.conn.closed) this.handle(raw);
      if ((++n & 1) === 0 && performance.now() > deadline) break;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.maybeResume();
    // When the pipeline is full, its onDrain schedules the next slice.
    if (this.head < this.queue.length && !this.ctx.pipeline.full) this.schedule();
  }

  private handle({ conn, data }: Raw): void {
    const decoded = decodeFrame(AgentFrameSchema, data.toString('utf8'));
    if (!decoded.ok) {
      conn.fail(decoded.rejection.code, decoded.rejection.message, decoded.rejection.closeCode);
      return;
    }
    try {
      const done = dispatchFrame(conn, decoded.frame, this.ctx);
      if (done instanceof Promise) done.catch((err: unknown) => this.onHandlerError(conn, err));
    } catch (err) {
      this.onHandlerError(conn, err);
    }
  }

  private onHandlerError(conn: AgentConnection, err: unknown): void {
    this.log.error({ err, agentId: conn.agentId }, 'frame handler failed');
    conn.fail('ERR_INTERNAL', 'the collector could not handle the frame', 1011);
  }
}
