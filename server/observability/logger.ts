import type { YogaLogger } from 'graphql-yoga';
import { pino } from 'pino';
import { isHandledByMasker } from './mask-errors.ts';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go; stdout when absent. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

// Bearer tokens are credentials: a log line must never let its reader act as the user.
const redactedPaths = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'connectionParams.authorization',
  'token',
  '*.token',
];

export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/**
 * Adapts a pino logger to Yoga's `logging` option, so Yoga's own messages land in the same
 * JSON stream. Yoga logs every error that the masker replaced; the masker has already logged
 * the unexpected ones with their request id (and the rest are client mistakes), so they are
 * skipped here instead of appearing twice.
 */
export function createYogaLogger(logger: Logger): YogaLogger {
  // Yoga logs at debug level on every request: the message is only built when it is kept.
  const at =
    (level: 'debug' | 'info' | 'warn') =>
    (...args: unknown[]) => {
      if (logger.isLevelEnabled(level)) logger[level](formatArgs(args));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: (...args: unknown[]) => {
      if (args.length === 1 && isHandledByMasker(args[0])) return;
      const [first] = args;
      if (args.length === 1 && first instanceof Error) logger.error({ err: first }, first.message);
      else logger.error(formatArgs(args));
    },
  };
}

function formatArgs(args: unknown[]): string {
  return args
    .map((arg) =>
      typeof arg === 'string' ? arg : arg instanceof Error ? arg.message : safeJson(arg),
    )
    .join(' ');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
