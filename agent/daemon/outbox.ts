/**
 * @module The on-disk outbox: every frame that carries a sequence number (results, digest) is
 * written here before it is sent and removed only when the collector acknowledges it.
 *
 * Layout choice: ONE FILE PER FRAME (`<seq>.frame`), each written to a temp file, fsynced,
 * renamed into place and the directory fsynced (atomic-file.ts). Why not an append-only log:
 * acknowledgements arrive out of band and frames may be dropped from the middle (overflow
 * policy), which a log could only do by rewriting or compacting itself; with one file per
 * frame an ack is one unlink, a torn write can only leave a `*.tmp` file (swept at open, never
 * read), and a corrupt file damages one frame, not the rest of the queue. Hourly scans make a
 * handful of frames per hour, so the per-file fsync cost does not matter.
 *
 * Sequence numbers: `seq.json` holds the next number. A frame file is written first and the
 * counter second, and at open the next number is max(counter, highest frame file + 1,
 * highest acknowledged + 1); a number is reserved on disk before its frame can be sent, so a
 * seq is never reused after kill -9 or reboot, and a crash leaves no hole in the sequence.
 *
 * Overflow policy (bounded by maxFrames and maxBytes): when a new frame does not fit, the
 * OLDEST DELTA frames (results with full=false, and digests) are dropped first, then, only if
 * nothing else is left, the oldest full frames. Every drop is counted (drops.json, reported in
 * heartbeats and logs), and dropping results sets `needFull` so the next scan sends the complete
 * state and the collector converges despite the loss.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../shared/log.js';
import { fsyncDir, readFileIfExists, sweepTempFiles, writeFileAtomic } from './atomic-file.js';

const FRAME_SUFFIX = '.frame';
const SEQ_FILE = 'seq.json';
const DROPS_FILE = 'drops.json';

/** The wire frame, as the outbox sees it: a JSON object with a seq and a type. */
export interface SeqFrame {
  seq: number;
  type: string;
  full?: boolean;
  [key: string]: unknown;
}

/** Local bookkeeping stored beside the frame, never sent. */
export const EnvelopeMetaSchema = z.strictObject({
  enqueuedAt: z.string(),
});
export type EnvelopeMeta = z.infer<typeof EnvelopeMetaSchema>;

const EnvelopeSchema = z.strictObject({
  meta: EnvelopeMetaSchema,
  frame: z.looseObject({ seq: z.number().int().positive(), type: z.string(), full: z.boolean().optional() }),
});
export interface Envelope {
  meta: EnvelopeMeta;
  frame: SeqFrame;
}

const SeqFileSchema = z.strictObject({ next: z.number().int().positive() });
const DropsFileSchema = z.strictObject({ dropped: z.number().int().nonnegative(), needFull: z.boolean() });

export interface OutboxLimits {
  maxFrames: number;
  maxBytes: number;
}

interface Entry {
  seq: number;
  bytes: number;
  /** true for a results frame with full=true (dropped last). */
  full: boolean;
  type: string;
}

function fileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}${FRAME_SUFFIX}`;
}

export class Outbox {
  private readonly entries = new Map<number, Entry>();
  private next = 1;
  private totalBytes = 0;
  private drops = { dropped: 0, needFull: false };
  /** Serialises writes so the counter and files change in order. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly limits: OutboxLimits,
    private readonly log: Logger,
  ) {}

  /**
   * Open (or create) the outbox in `dir`: sweep temp files left by a crash, index the frame
   * files, and restore the counter. `ackedSeq` is the highest seq known acknowledged: frames
   * at or below it are deleted (their ack arrived just before a crash).
   */
  static async open(dir: string, limits: OutboxLimits, log: Logger, ackedSeq = 0): Promise<Outbox> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const box = new Outbox(dir, limits, log);
    const swept = await sweepTempFiles(dir);
    if (swept > 0) log.warn({ swept }, 'Removed partial outbox writes left by a crash');
    const seqText = await readFileIfExists(path.join(dir, SEQ_FILE));
    const seqFile = seqText === undefined ? undefined : SeqFileSchema.safeParse(safeJson(seqText));
    if (seqFile?.success) box.next = seqFile.data.next;
    else if (seqText !== undefined) log.warn('Outbox counter file unreadable; rebuilding it from the frames');
    const dropsText = await readFileIfExists(path.join(dir, DROPS_FILE));
    const drops = dropsText === undefined ? undefined : DropsFileSchema.safeParse(safeJson(dropsText));
    if (drops?.success) box.drops = drops.data;
    box.next = Math.max(box.next, ackedSeq + 1);

    const names = (await fs.readdir(dir)).filter((n) => n.endsWith(FRAME_SUFFIX)).sort();
    for (const name of names) {
      const seq = Number.parseInt(name.slice(0, -FRAME_SUFFIX.length), 10);
      if (!Number.isSafeInteger(seq) || seq <= 0) continue;
      box.next = Math.max(box.next, seq + 1);
      if (seq <= ackedSeq) {
        await fs.rm(path.join(dir, name), { force: true });
        continue;
      }
      const file = path.join(dir, name);
      const env = await box.readFile(file);
      if (!env) {
        // A frame that cannot be read is lost: count it, and have the next scan send everything.
        await fs.rename(file, path.join(dir, `corrupt-${name}`)).catch(() => fs.rm(file, { force: true }));
        box.drops.dropped++;
        box.drops.needFull = true;
        log.error({ seq }, 'Outbox frame unreadable; set aside and counted as dropped');
        continue;
      }
      const bytes = (await fs.stat(file)).size;
      box.entries.set(seq, { seq, bytes, full: env.frame.type === 'results' && env.frame.full === true, type: env.frame.type });
      box.totalBytes += bytes;
    }
    await box.writeDrops();
    await writeFileAtomic(path.join(dir, SEQ_FILE), JSON.stringify({ next: box.next }));
    return box;
  }

  private async readFile(file: string): Promise<Envelope | undefined> {
    const text = await readFileIfExists(file);
    if (text === undefined) return undefined;
    const parsed = EnvelopeSchema.safeParse(safeJson(text));
    return parsed.success ? (parsed.data as Envelope) : undefined;
  }

  /** Number of frames waiting for an ack. */
  get depth(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Frames dropped by the overflow policy (or unreadable) since the state dir was created. */
  get dropped(): number {
    return this.drops.dropped;
  }

  /** True when results were dropped and the next scan must send the full state. */
  get needFull(): boolean {
    return this.drops.needFull;
  }

  /** The seq the next appended frame will get. */
  get nextSeq(): number {
    return this.next;
  }

  /** True when one more frame would exceed the frame limit (something would be dropped). */
  get atCapacity(): boolean {
    return this.entries.size + 1 > this.limits.maxFrames;
  }

  /** Pending seqs in ascending order. */
  seqs(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  has(seq: number): boolean {
    return this.entries.has(seq);
  }

  /** Read one pending frame from disk (undefined when acked or dropped meanwhile). */
  async read(seq: number): Promise<Envelope | undefined> {
    if (!this.entries.has(seq)) return undefined;
    return this.readFile(path.join(this.dir, fileName(seq)));
  }

  /**
   * Assign the next seq, build the frame with it, and write it durably. Resolves once the frame
   * is on disk; only then may it be sent.
   */
  append(build: (seq: number) => SeqFrame): Promise<Envelope> {
    return this.serial(async () => {
      const seq = this.next;
      const frame = build(seq);
      if (frame.seq !== seq) throw new Error(`frame built with seq ${frame.seq}, expected ${seq}`);
      const envelope: Envelope = { meta: { enqueuedAt: new Date().toISOString() }, frame };
      const text = JSON.stringify(envelope);
      const bytes = Buffer.byteLength(text);
      await this.makeRoom(bytes);
      await writeFileAtomic(path.join(this.dir, fileName(seq)), text);
      this.next = seq + 1;
      await writeFileAtomic(path.join(this.dir, SEQ_FILE), JSON.stringify({ next: this.next }));
      this.entries.set(seq, { seq, bytes, full: frame.type === 'results' && frame.full === true, type: frame.type });
      this.totalBytes += bytes;
      return envelope;
    });
  }

  /** Remove an acknowledged frame. Unknown seqs (already removed or dropped) are ignored. */
  remove(seq: number): Promise<boolean> {
    return this.serial(async () => {
      const entry = this.entries.get(seq);
      if (!entry) return false;
      await fs.rm(path.join(this.dir, fileName(seq)), { force: true });
      this.entries.delete(seq);
      this.totalBytes -= entry.bytes;
      return true;
    });
  }

  /**
   * Set aside a frame the collector keeps refusing (renamed to `rejected-<file>`, kept for
   * diagnosis), counted as dropped; a results frame makes the next scan send the full state.
   */
  quarantine(seq: number): Promise<boolean> {
    return this.serial(async () => {
      const entry = this.entries.get(seq);
      if (!entry) return false;
      this.drops.dropped++;
      if (entry.type === 'results') this.drops.needFull = true;
      await this.writeDrops();
      await fs.rename(path.join(this.dir, fileName(seq)), path.join(this.dir, `rejected-${fileName(seq)}`));
      await fsyncDir(this.dir);
      this.entries.delete(seq);
      this.totalBytes -= entry.bytes;
      return true;
    });
  }

  /**
   * Never hand out a seq at or below `seq` again (the collector has committed up to it, e.g.
   * after this state directory was restored from an old backup).
   */
  advanceTo(seq: number): Promise<void> {
    return this.serial(async () => {
      if (seq < this.next) return;
      this.next = seq;
      await writeFileAtomic(path.join(this.dir, SEQ_FILE), JSON.stringify({ next: this.next }));
    });
  }

  /** Mark that a full state has been enqueued since the last drop. */
  clearNeedFull(): Promise<void> {
    return this.serial(async () => {
      if (!this.drops.needFull) return;
      this.drops.needFull = false;
      await this.writeDrops();
    });
  }

  private async makeRoom(incoming: number): Promise<void> {
    const fits = () => this.entries.size + 1 <= this.limits.maxFrames && this.totalBytes + incoming <= this.limits.maxBytes;
    if (fits()) return;
    const order = this.seqs().map((s) => this.entries.get(s)!);
    const victims: Entry[] = [];
    let frames = this.entries.size;
    let bytes = this.totalBytes;
    const room = () => frames + 1 <= this.limits.maxFrames && bytes + incoming <= this.limits.maxBytes;
    for (const pass of [false, true]) {
      for (const e of order) {
        if (room()) break;
        if (e.full !== pass || victims.includes(e)) continue;
        victims.push(e);
        frames--;
        bytes -= e.bytes;
      }
    }
    if (victims.length === 0) return;
    this.drops.dropped += victims.length;
    if (victims.some((v) => v.type === 'results')) this.drops.needFull = true;
    // Record the drop (and that a full state is owed) before any frame disappears.
    await this.writeDrops();
    for (const v of victims) {
      await fs.rm(path.join(this.dir, fileName(v.seq)), { force: true });
      this.entries.delete(v.seq);
      this.totalBytes -= v.bytes;
    }
    await fsyncDir(this.dir);
    this.log.warn(
      { dropped: victims.length, seqs: victims.map((v) => v.seq), totalDropped: this.drops.dropped, depth: this.entries.size },
      'Outbox full; dropped the oldest delta frames, the next scan sends the full state',
    );
  }

  private writeDrops(): Promise<void> {
    return writeFileAtomic(path.join(this.dir, DROPS_FILE), JSON.stringify(this.drops));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
