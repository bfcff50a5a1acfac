import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { scrubText, type Logger } from './logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the Temporal SDK's own logs (worker, workflow `log`, activity `log`) through pino. The
 * SDK's metadata becomes the record's fields, and the Errors in it (`error`, `failure`, nested) are
 * serialized with their cause chain by the logger (`serializeErrors`). The message is scrubbed too:
 * the SDK puts error messages into some of its own.
 */
export function sdkLogger(logger: Logger): SdkLogger {
  const child = logger.child({ component: 'temporal-sdk' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) =>
    child[LEVELS[level]](meta ?? {}, scrubText(message));
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/**
 * The logger for bundling the workflow code (`bundleWorkflowCode`), from any SDK logger: webpack's
 * report of every module, which the SDK logs at info as one line of several kilobytes at each
 * start, goes to debug; its warnings and errors (a module that cannot be bundled) stay as they are.
 */
export function bundlerLogger(logger: SdkLogger): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    logger.log(level === 'INFO' ? 'DEBUG' : level, message, meta);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/**
 * Runtime options that send both the SDK's TypeScript logs and its native core's logs (warnings
 * and errors) through pino, so the process writes one stream of JSON lines.
 */
export function runtimeLogging(logger: Logger) {
  return {
    logger: sdkLogger(logger),
    telemetryOptions: { logging: { filter: { core: 'WARN' as const, other: 'WARN' as const }, forward: {} } },
  };
}
