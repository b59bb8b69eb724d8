import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Fields that must never reach a log line. pino's redact paths are exact, so
 * the common nestings (config objects, request headers, broker options) are
 * listed one by one.
 */
const SECRET_KEYS = ['password', 'token', 'privateKey', 'privateKeyPem', 'secret', 'clientSecret', 'apiToken', 'authorization', 'key', 'passphrase'];
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'headers.authorization',
];

export interface CreateLoggerOptions {
  level?: string;
  name?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: DestinationStream;
}

/** The one root logger of a program; components take `log.child({ component })`. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? process.env.HASHWATT_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: options.name ? { name: options.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that writes nothing: for tests and for CLI commands that print their own output. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
