/**
 * @module `results` and `digest`: identity and limit checks, the flow-control window, then the
 * ingest pipeline (which acknowledges after commit).
 */
import type { DigestFrame, ResultsFrame } from '../../shared/protocol.js';
import type { AgentConnection } from '../gateway/agent-connection.js';
import type { FrameHandler, HandlerContext } from './handler.js';
import { notePacks } from '../gateway/pack-push.js';

function admitSequenced(conn: AgentConnection, frame: ResultsFrame | DigestFrame, { pipeline, config }: HandlerContext): void {
  if (frame.agentId !== undefined && frame.agentId !== conn.agentId) {
    conn.fail('ERR_PROTOCOL_IDENTITY', `frame seq ${frame.seq} claims agent ${frame.agentId}`);
    return;
  }
  if (conn.inflight >= config.window) {
    conn.fail('ERR_PROTOCOL_WINDOW', `more than ${config.window} unacknowledged frames in flight`);
    return;
  }
  conn.inflight++;
  pipeline.enqueue(conn, frame);
}

export const handleResults: FrameHandler<'results'> = (conn, frame, ctx) => {
  if (frame.agency !== undefined && frame.agency !== conn.identity.agencyName) {
    conn.fail('ERR_PROTOCOL_IDENTITY', `frame seq ${frame.seq} claims agency ${frame.agency}`);
    return;
  }
  if (frame.results.length > ctx.config.maxResultsPerFrame) {
    conn.fail('ERR_PROTOCOL_FRAME_TOO_LARGE', `frame seq ${frame.seq} carries ${frame.results.length} results; the limit is ${ctx.config.maxResultsPerFrame}`);
    return;
  }
  admitSequenced(conn, frame, ctx);
  if (!conn.closed) notePacks(conn, frame.packs, ctx.store);
};

export const handleDigest: FrameHandler<'digest'> = (conn, frame, ctx) => {
  admitSequenced(conn, frame, ctx);
};
