/**
 * @module When a buffered sender (a dashboard's live socket, the cross-replica NOTIFY) flushes:
 * the first event after a quiet spell goes out on the next turn of the event loop — no fixed
 * delay on a lone status change — and a burst is gathered until `intervalMs` after the previous
 * flush, so there is never more than one flush per interval however many events arrive.
 */
export class FlushPacer {
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True while a flush is scheduled. */
  get pending(): boolean {
    return this.immediate !== null || this.timer !== null;
  }

  /** Work arrived: schedule a flush unless one is already scheduled. */
  request(): void {
    if (this.pending) return;
    const wait = this.last + this.intervalMs - this.now();
    // Events published in this same turn (an ingest batch acknowledging many frames) still join it.
    if (wait <= 0) this.immediate = setImmediate(() => this.run());
    else this.timer = setTimeout(() => this.run(), wait);
  }

  cancel(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
  }

  private run(): void {
    this.immediate = null;
    this.timer = null;
    this.last = this.now();
    this.flush();
  }
}
