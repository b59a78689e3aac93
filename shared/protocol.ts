/**
 * @module The agent ⇄ collector wire protocol, version 1: the enroll and challenge HTTP bodies,
 * every WebSocket frame as a zod schema (one discriminated union per direction), the upgrade
 * headers, the signed string, close codes and the defaults the collector announces.
 * docs/protocol.md describes the same contract for people writing their own agent.
 */
import { z } from 'zod';
import { HostFactsSchema, PackRefSchema, RuleResultSchema } from './result.js';

/** The protocol version this build speaks. Every frame carries it as `v`. */
export const PROTOCOL_VERSION = 1 as const;
/** Versions the collector accepts on the upgrade (`X-Rampart-Protocol`) and in frames. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

/** Path of the agent WebSocket, relative to the collector's base URL. */
export const AGENT_WS_PATH = '/api/v1/agent/ws';
export const ENROLL_PATH = '/api/v1/enroll';
export const CHALLENGE_PATH = '/api/v1/agent/challenge';

/** Upgrade request headers (lower case, as node exposes them). */
export const HEADERS = {
  protocol: 'x-rampart-protocol',
  agent: 'x-rampart-agent',
  nonce: 'x-rampart-nonce',
  signature: 'x-rampart-signature',
} as const;

/** First line of the string an agent signs to prove it holds its enrolled key. */
export const AUTH_CONTEXT = 'rampart-agent-auth/v1';

/** The exact UTF-8 string an agent signs with Ed25519 for the upgrade: context, agent id, nonce, joined by "\n". */
export function authMessage(agentId: string, nonce: string): string {
  return `${AUTH_CONTEXT}\n${agentId}\n${nonce}`;
}

/** Defaults the collector announces in `welcome` (each is configurable on the collector). */
export const PROTOCOL_DEFAULTS = {
  window: 8,
  maxResultsPerFrame: 500,
  heartbeatSeconds: 30,
  maxFrameBytes: 1024 * 1024,
  challengeSeconds: 60,
} as const;

/** Hard upper bound on results in one frame, whatever the collector announces. */
export const MAX_RESULTS_PER_FRAME_LIMIT = 5000;

/** WebSocket close codes the collector uses (1000-1015 are the standard ones, 4xxx are ours). */
export const CLOSE_CODES = {
  /** Normal closure (agent or collector shutting down cleanly). */
  normal: 1000,
  /** The collector is going away (restart, shutdown). Reconnect with backoff. */
  goingAway: 1001,
  /** ws itself refused a message far larger than the limit before reading it. */
  messageTooBig: 1009,
  /** ERR_PROTOCOL_INVALID_FRAME: not JSON, binary, wrong schema, unknown type, hello missing. */
  invalidFrame: 4400,
  /** ERR_AUTH_REVOKED: the agent was revoked while connected. Do not reconnect. */
  revoked: 4401,
  /** ERR_PROTOCOL_IDENTITY: a frame claims another agent or agency. */
  identity: 4403,
  /** ERR_PROTOCOL_SUPERSEDED: a newer connection of the same agent replaced this one. */
  superseded: 4409,
  /** ERR_PROTOCOL_FRAME_TOO_LARGE: more bytes than maxFrameBytes or more results than maxResultsPerFrame. */
  frameTooLarge: 4413,
  /** ERR_PROTOCOL_VERSION: a frame carries a protocol version the collector does not speak. */
  version: 4426,
  /** ERR_PROTOCOL_WINDOW: more unacknowledged frames in flight than the announced window. */
  window: 4429,
  /** ERR_PROTOCOL_RATE: more frames per second than the collector allows on one connection. */
  rate: 4429,
  /** ERR_PROTOCOL_TIMEOUT: no hello soon enough after the upgrade. */
  handshakeTimeout: 4408,
  /** ERR_PROTOCOL_SLOW_CONSUMER: the agent stopped reading; the collector dropped it. */
  slowConsumer: 4410,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

// ---------------------------------------------------------------------------------------------
// Building blocks

export const AgentIdSchema = z.uuid();
/** A per-agent sequence number: 1, 2, 3 ... never reused, survives restarts. */
export const SeqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const ScanIdSchema = z.string().min(1).max(128);
export const IsoTimeSchema = z.iso.datetime({ offset: true });
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/);
/** 32 random bytes, base64url without padding. */
export const NonceSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
export const AgencyNameSchema = z.string().min(1).max(128);
const VersionField = z.literal(PROTOCOL_VERSION);

/** One rule verdict with its evidence: exactly the RuleResult of a local scan. */
export const ResultItemSchema = RuleResultSchema;
export type ResultItem = z.infer<typeof ResultItemSchema>;

// ---------------------------------------------------------------------------------------------
// HTTP bodies

export const EnrollRequestSchema = z.strictObject({
  /** The one-time enrollment token printed by `rampart server token create`. */
  token: z.string().min(1).max(256),
  /** Ed25519 public key, SPKI DER, standard base64. */
  publicKey: z.string().min(1).max(2048),
  hostname: z.string().min(1).max(255),
  machineId: z.string().max(128).optional(),
  /** os-release PRETTY_NAME, or the `os` object of HostFacts. */
  os: z.union([z.string().max(200), HostFactsSchema.shape.os]).optional(),
  agentVersion: z.string().min(1).max(64),
  /** Protocol version the agent speaks (default 1). */
  protocolVersion: z.number().int().positive().optional(),
  /** If given, the agency the agent expects to join; a token of another agency is refused. */
  agency: AgencyNameSchema.optional(),
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export const EnrollResponseSchema = z.strictObject({
  agentId: AgentIdSchema,
  agency: AgencyNameSchema,
  protocolVersion: z.literal(PROTOCOL_VERSION),
});
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;

export const ChallengeResponseSchema = z.strictObject({
  nonce: NonceSchema,
  expiresAt: IsoTimeSchema,
});
export type ChallengeResponse = z.infer<typeof ChallengeResponseSchema>;

/** Every HTTP error body (API and refused upgrades). */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

// ---------------------------------------------------------------------------------------------
// Agent → collector frames

export const HelloFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('hello'),
  /** Optional; when present it must be the authenticated agent id. */
  agentId: AgentIdSchema.optional(),
  agentVersion: z.string().min(1).max(64),
  host: HostFactsSchema,
  packs: z.array(PackRefSchema).max(1000),
  /** Highest seq the agent has seen acknowledged (0 if none). */
  lastAckedSeq: z.number().int().nonnegative(),
});
export type HelloFrame = z.infer<typeof HelloFrameSchema>;

export const ResultsFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('results'),
  seq: SeqSchema,
  /** Optional identity claims; when present they must match the authenticated agent and its agency. */
  agentId: AgentIdSchema.optional(),
  agency: AgencyNameSchema.optional(),
  scanId: ScanIdSchema,
  scannedAt: IsoTimeSchema,
  packs: z.array(PackRefSchema).max(1000),
  /** true: these results (with the other parts of the same scanId) are the complete state. */
  full: z.boolean(),
  /** A full state split over several frames: part index (0-based) and count. Default 0 of 1. */
  part: z.number().int().nonnegative().optional(),
  parts: z.number().int().positive().optional(),
  /** Delta frames only: rule ids the agent no longer evaluates (dropped from its state). */
  removed: z.array(z.string().min(1).max(200)).max(MAX_RESULTS_PER_FRAME_LIMIT).optional(),
  results: z.array(ResultItemSchema).max(MAX_RESULTS_PER_FRAME_LIMIT),
});
export type ResultsFrame = z.infer<typeof ResultsFrameSchema>;

export const DigestFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('digest'),
  seq: SeqSchema,
  agentId: AgentIdSchema.optional(),
  scanId: ScanIdSchema,
  scannedAt: IsoTimeSchema,
  /** Number of rules in the agent's state. */
  count: z.number().int().nonnegative(),
  /** stateDigest() of the agent's state (shared/state-digest.ts). */
  sha256: Sha256HexSchema,
});
export type DigestFrame = z.infer<typeof DigestFrameSchema>;

export const HeartbeatFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('heartbeat'),
  sentAt: IsoTimeSchema,
  /** Frames waiting in the agent's outbox. */
  outboxDepth: z.number().int().nonnegative(),
  /** Frames the outbox dropped on overflow since the agent was enrolled (cumulative). */
  dropped: z.number().int().nonnegative().optional(),
});
export type HeartbeatFrame = z.infer<typeof HeartbeatFrameSchema>;

export const AgentFrameSchema = z.discriminatedUnion('type', [
  HelloFrameSchema,
  ResultsFrameSchema,
  DigestFrameSchema,
  HeartbeatFrameSchema,
]);
export type AgentFrame = z.infer<typeof AgentFrameSchema>;
export type AgentFrameType = AgentFrame['type'];
export const AGENT_FRAME_TYPES: readonly AgentFrameType[] = ['hello', 'results', 'digest', 'heartbeat'];
/** Frames that carry a seq, are stored, and are acknowledged. */
export type SequencedFrame = ResultsFrame | DigestFrame;

// ---------------------------------------------------------------------------------------------
// Collector → agent frames

export const WelcomeFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('welcome'),
  agentId: AgentIdSchema,
  agency: AgencyNameSchema,
  /** Max unacknowledged sequenced frames (results + digest) in flight. */
  window: z.number().int().positive(),
  maxResultsPerFrame: z.number().int().positive().max(MAX_RESULTS_PER_FRAME_LIMIT),
  /** Max bytes of one frame. */
  maxFrameBytes: z.number().int().positive(),
  heartbeatSeconds: z.number().int().positive(),
  /** Highest seq committed for this agent (0 if none): the agent may drop everything ≤ lastSeq. */
  lastSeq: z.number().int().nonnegative(),
});
export type WelcomeFrame = z.infer<typeof WelcomeFrameSchema>;

export const AckStatusSchema = z.enum(['stored', 'duplicate']);
export type AckStatus = z.infer<typeof AckStatusSchema>;

export const AckFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('ack'),
  seq: SeqSchema,
  status: AckStatusSchema,
});
export type AckFrame = z.infer<typeof AckFrameSchema>;

export const ResyncFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('resync'),
  reason: z.string(),
});
export type ResyncFrame = z.infer<typeof ResyncFrameSchema>;

export const ErrorFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
});
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;

/**
 * A signed rule pack for the agent (shared/pack-bundle.ts). Sent after welcome for every pack
 * published for the agent's agency that the agent's hello did not list, and at once when an
 * administrator publishes one. The agent verifies it against its own trusted keys before
 * installing; the collector cannot vouch for a pack, only carry it.
 */
export const PackFrameSchema = z.strictObject({
  v: VersionField,
  type: z.literal('pack'),
  /**
   * A `rampart-pack-bundle/1` object (shared/pack-bundle.ts PackBundleSchema). Only an object here:
   * the agent checks the bundle itself, so a bundle it cannot read is refused with a coded error
   * instead of dropping the whole connection (and a future bundle format cannot loop old agents).
   */
  bundle: z.record(z.string(), z.unknown()),
});
export type PackFrame = z.infer<typeof PackFrameSchema>;

export const CollectorFrameSchema = z.discriminatedUnion('type', [
  WelcomeFrameSchema,
  AckFrameSchema,
  ResyncFrameSchema,
  ErrorFrameSchema,
  PackFrameSchema,
]);
export type CollectorFrame = z.infer<typeof CollectorFrameSchema>;

// ---------------------------------------------------------------------------------------------
// Decoding (used at the edge on both sides)

/** Why a frame was refused: the error code, its close code, and a message safe to send back. */
export interface FrameRejection {
  code: 'ERR_PROTOCOL_INVALID_FRAME' | 'ERR_PROTOCOL_VERSION';
  closeCode: CloseCode;
  message: string;
}

export type Decoded<T> = { ok: true; frame: T } | { ok: false; rejection: FrameRejection };

/**
 * Parse one text frame: JSON, then the version, then the schema. A frame whose `v` is not a
 * supported version is a version error (4426) even if its other fields would not parse.
 */
export function decodeFrame<S extends z.ZodType>(schema: S, text: string): Decoded<z.infer<S>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject('ERR_PROTOCOL_INVALID_FRAME', CLOSE_CODES.invalidFrame, 'frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('ERR_PROTOCOL_INVALID_FRAME', CLOSE_CODES.invalidFrame, 'frame is not a JSON object');
  }
  const v = (value as { v?: unknown }).v;
  if (v !== PROTOCOL_VERSION) {
    return reject('ERR_PROTOCOL_VERSION', CLOSE_CODES.version, `frame protocol version ${JSON.stringify(v ?? null)} is not supported (this side speaks ${PROTOCOL_VERSION})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return reject('ERR_PROTOCOL_INVALID_FRAME', CLOSE_CODES.invalidFrame, `frame does not match the protocol${where}: ${issue?.message ?? 'invalid'}`);
  }
  return { ok: true, frame: parsed.data as z.infer<S> };
}

function reject(code: FrameRejection['code'], closeCode: CloseCode, message: string): { ok: false; rejection: FrameRejection } {
  return { ok: false, rejection: { code, closeCode, message } };
}

/** Serialize a frame for the wire (one JSON object per WebSocket text message). */
export function encodeFrame(frame: AgentFrame | CollectorFrame): string {
  return JSON.stringify(frame);
}
