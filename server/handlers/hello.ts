/**
 * @module `hello`: the first frame of every connection. Records the agent's version, host facts
 * and packs, then answers `welcome` with the limits and the highest committed seq.
 */
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { FrameHandler } from './handler.js';
import { sendPublishedPacks } from '../gateway/pack-push.js';

export const handleHello: FrameHandler<'hello'> = async (conn, frame, { store, config }) => {
  if (conn.ready) {
    conn.fail('ERR_PROTOCOL_INVALID_FRAME', 'hello was already received on this connection');
    return;
  }
  if (frame.agentId !== undefined && frame.agentId !== conn.agentId) {
    conn.fail('ERR_PROTOCOL_IDENTITY', 'hello names another agent than the one that authenticated');
    return;
  }
  // Ready at once (synchronously): frames after hello are processed in order behind it.
  conn.ready = true;
  await store.recordHello(conn.agentId, { agentVersion: frame.agentVersion, host: frame.host, packs: frame.packs });
  const agent = await store.getAgent(conn.agentId);
  conn.log.info({ agentId: conn.agentId, agentVersion: frame.agentVersion, lastAckedSeq: frame.lastAckedSeq, lastSeq: agent?.maxSeq ?? 0 }, 'agent connected');
  conn.send({
    v: PROTOCOL_VERSION,
    type: 'welcome',
    agentId: conn.agentId,
    agency: conn.identity.agencyName,
    window: config.window,
    maxResultsPerFrame: config.maxResultsPerFrame,
    maxFrameBytes: config.maxFrameBytes,
    heartbeatSeconds: config.heartbeatSeconds,
    lastSeq: agent?.maxSeq ?? 0,
  });
  // Signed rule packs published for the agency that this agent does not run yet.
  await sendPublishedPacks(conn, frame.packs, store);
};
