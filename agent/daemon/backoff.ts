/**
 * @module Reconnect delays: exponential backoff with FULL jitter (delay = random(0, min(cap,
 * base * 2^attempt))), so a fleet that lost its collector at the same moment spreads its
 * reconnects over the whole window instead of stampeding (AWS architecture blog, "Exponential
 * Backoff and Jitter"). Defaults: base 1 s, cap 5 min.
 */

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Upper bound of the next delay: min(cap, base * 2^attempt). */
  ceiling(attempt = this.attempt): number {
    // 2^attempt overflows to Infinity for large attempts; min() keeps it at the cap.
    return Math.min(this.options.capMs, this.options.baseMs * 2 ** Math.min(attempt, 1000));
  }

  /** The delay before the next attempt, and count the attempt. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attempt++;
    return delay;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** A connection succeeded (welcome received): start again from the base. */
  reset(): void {
    this.attempt = 0;
  }
}
