import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log record: credentials, and subscriber
 * personal data (emails, names) that must stay out of logs.
 */
export const REDACTED_PATHS = [
  '*.apiToken',
  '*.token',
  '*.secretKey',
  '*.publicKey',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.email',
  '*.firstName',
  '*.lastName',
  'email',
  'token',
  'apiToken',
];

/** The process's JSON logger (pino), secrets and personal data redacted. */
export function createLogger(opts: {
  level: string;
  name?: string;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      name: opts.name ?? 'campaign-sync',
      level: opts.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination,
  );
}

/** An email with its local part hidden (`j***@example.com`), for the few places one must be shown. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
