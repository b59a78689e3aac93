/**
 * @module THE registry of inbound frame handlers: one line per agent → collector frame type.
 */
import type { AgentFrame, AgentFrameType } from '../../shared/protocol.js';
import type { AgentConnection } from '../gateway/agent-connection.js';
import type { FrameHandler, HandlerContext } from './handler.js';
import { handleHello } from './hello.js';
import { handleDigest, handleResults } from './results.js';
import { handleHeartbeat } from './heartbeat.js';

export type { HandlerContext } from './handler.js';

const HANDLERS: { [T in AgentFrameType]: FrameHandler<T> } = {
  hello: handleHello,
  results: handleResults,
  digest: handleDigest,
  heartbeat: handleHeartbeat,
};

/** Dispatch a validated frame; every frame but hello needs a hello first. */
export function dispatchFrame(conn: AgentConnection, frame: AgentFrame, ctx: HandlerContext): void | Promise<void> {
  if (!conn.ready && frame.type !== 'hello') {
    conn.fail('ERR_PROTOCOL_INVALID_FRAME', `${frame.type} before hello`);
    return;
  }
  const handler = HANDLERS[frame.type] as FrameHandler<AgentFrameType>;
  return handler(conn, frame as never, ctx);
}
