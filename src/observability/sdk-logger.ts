import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import type { Logger } from './logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Routes the Temporal SDK's own logs (worker, workflow `log`, activity `log`) through pino. */
export function sdkLogger(logger: Logger): SdkLogger {
  const child = logger.child({ component: 'temporal-sdk' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) =>
    child[LEVELS[level]](meta ?? {}, message);
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
 * Runtime options that send both the SDK's TypeScript logs and its native core's logs (warnings
 * and errors) through pino, so the process writes one stream of JSON lines.
 */
export function runtimeLogging(logger: Logger) {
  return {
    logger: sdkLogger(logger),
    telemetryOptions: { logging: { filter: { core: 'WARN' as const, other: 'WARN' as const }, forward: {} } },
  };
}
