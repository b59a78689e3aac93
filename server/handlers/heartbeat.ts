/**
 * @module `heartbeat`: the agent's outbox depth and drop count, kept in memory and written with
 * the batched last-seen update (never one write per frame).
 */
import type { FrameHandler } from './handler.js';

export const handleHeartbeat: FrameHandler<'heartbeat'> = (conn, frame) => {
  conn.outboxDepth = frame.outboxDepth;
  if (frame.dropped !== undefined) conn.dropped = frame.dropped;
  conn.seenDirty = true;
};
