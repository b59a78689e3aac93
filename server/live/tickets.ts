/**
 * @module Single-use live tickets: a browser cannot set headers on a WebSocket, so it buys a
 * short-lived ticket with its bearer token (POST /api/v1/live/ticket) and presents it once in
 * the upgrade URL. Tickets live in memory only, expire after 30 s and are consumed on first use.
 */
import { randomBytes } from 'node:crypto';
import type { User } from '../store/store.js';

export const TICKET_TTL_MS = 30_000;
const MAX_TICKETS = 10_000;

export interface TicketHolder {
  user: User;
  /** Hash of the bearer token that bought the ticket (re-checked while the socket lives). */
  tokenHash: string;
}

export class TicketBook {
  private readonly tickets = new Map<string, TicketHolder & { expiresAt: number }>();

  issue(holder: TicketHolder, now = Date.now()): { ticket: string; expiresAt: string } {
    this.prune(now);
    // Bounded: the oldest tickets go first (Map keeps insertion order).
    while (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = now + TICKET_TTL_MS;
    this.tickets.set(ticket, { ...holder, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The holder once for a valid ticket; null when unknown, used or expired. */
  consume(ticket: string, now = Date.now()): TicketHolder | null {
    const t = this.tickets.get(ticket);
    if (!t) return null;
    this.tickets.delete(ticket);
    return t.expiresAt > now ? { user: t.user, tokenHash: t.tokenHash } : null;
  }

  private prune(now: number): void {
    for (const [k, t] of this.tickets) {
      if (t.expiresAt > now) break; // insertion order = expiry order
      this.tickets.delete(k);
    }
  }
}
