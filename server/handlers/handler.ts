/**
 * @module The shape of an inbound-frame handler and what it may use. Handlers receive frames
 * already parsed and validated at the edge (gateway/frame-inbox.ts), typed by their `type`.
 */
import type { AgentFrame, AgentFrameType } from '../../shared/protocol.js';
import type { ServerConfig } from '../config.js';
import type { AgentConnection } from '../gateway/agent-connection.js';
import type { IngestPipeline } from '../ingest/ingest-pipeline.js';
import type { Store } from '../store/store.js';

export interface HandlerContext {
  store: Store;
  pipeline: IngestPipeline;
  config: ServerConfig;
}

export type FrameHandler<T extends AgentFrameType> = (conn: AgentConnection, frame: Extract<AgentFrame, { type: T }>, ctx: HandlerContext) => void | Promise<void>;
