/**
 * @module The agent's two plain HTTP calls to the collector (enroll, challenge) with a timeout,
 * and turning a refusal body {error:{code,message}} into a coded AppError the caller can act on.
 */
import { z } from 'zod';
import { AppError, isErrorCode, type ErrorCode } from '../../shared/errors.js';
import { ErrorBodySchema } from '../../shared/protocol.js';
import { httpText, type AgentTls } from './tls-client.js';

/** A coded refusal from the collector, with the HTTP status it came with. */
export class CollectorRefusal extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly httpStatus: number,
  ) {
    super(code, message);
  }
}

/** Map an error body the collector sent to an AppError (unknown codes become ERR_AGENT_SERVER_RESPONSE). */
export function refusalFromBody(status: number, body: unknown, what: string): AppError {
  const parsed = ErrorBodySchema.safeParse(body);
  if (parsed.success && isErrorCode(parsed.data.error.code)) {
    return new CollectorRefusal(parsed.data.error.code, `${what}: ${parsed.data.error.message}`, status);
  }
  return new CollectorRefusal('ERR_AGENT_SERVER_RESPONSE', `${what}: HTTP ${status}${parsed.success ? ` ${parsed.data.error.code}: ${parsed.data.error.message}` : ''}`, status);
}

export interface HttpOptions {
  timeoutMs: number;
  /** CA and client certificate for an https collector (tls-client.ts); default: system CAs, no client certificate. */
  tls?: AgentTls | undefined;
}

/** Send a JSON request and parse the JSON answer with `schema`; refusals and garbage become AppErrors. */
export async function requestJson<S extends z.ZodType>(
  method: 'GET' | 'POST',
  url: string,
  schema: S,
  options: HttpOptions & { body?: unknown; what: string },
): Promise<z.infer<S>> {
  let res: Awaited<ReturnType<typeof httpText>>;
  try {
    res = await httpText(method, url, options.tls, { timeoutMs: options.timeoutMs, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new AppError('ERR_AGENT_SERVER_UNREACHABLE', `${options.what}: cannot reach ${new URL(url).origin} (${cause})`, { cause: err });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) throw refusalFromBody(res.status, body, options.what);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new AppError('ERR_AGENT_SERVER_RESPONSE', `${options.what}: unexpected answer from ${new URL(url).origin}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data as z.infer<S>;
}
