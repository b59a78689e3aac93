/**
 * @module The root pino logger. Modules take `log.child({ module })`; secrets are redacted.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line (tokens, keys, authorization headers). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'enrollToken',
  '*.enrollToken',
  'apiToken',
  '*.apiToken',
  // agent upgrade credentials (single-use, but never worth a log line)
  'headers["x-rampart-nonce"]',
  'headers["x-rampart-signature"]',
  'req.headers["x-rampart-nonce"]',
  'req.headers["x-rampart-signature"]',
  'nonce',
  '*.nonce',
];

export interface LoggerSettings {
  level?: string;
  name?: string;
  /** Where lines go; standard error by default so standard output stays machine-readable. */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: settings.name === undefined ? {} : { name: settings.name },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, settings.destination ?? pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything: for library use and quiet one-shot commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
