import { jsonReply, textReply } from '../shared/http';
import type { Reply } from '../shared/http';
import type { FaultProfile, ServerErrorStatus } from '../shared/faults';
import {
  BAD_GATEWAY_HTML,
  SERVER_ERROR_MESSAGE,
  SERVICE_UNAVAILABLE_MESSAGE,
  TOO_MANY_ATTEMPTS_MESSAGE,
} from './facts';

/** A body cut off mid-document, as from a connection dropped by a proxy after the headers. */
const TRUNCATED_JSON = '{"data":{"id":"170000000000000001","email":"';

/**
 * How MailerLite answers injected faults. An injected 429 looks like the real throttle's answer,
 * headers included: `X-RateLimit-Limit` is the emulator's limit (the real 120 when unlimited),
 * `X-RateLimit-Remaining` 0.
 */
export function mailerLiteFaultProfile(opts: { rateLimit: number; now: () => number }): FaultProfile {
  return {
    serverError(status: ServerErrorStatus): Reply {
      if (status === 502) return textReply(502, BAD_GATEWAY_HTML, 'text/html');
      const message = status === 503 ? SERVICE_UNAVAILABLE_MESSAGE : SERVER_ERROR_MESSAGE;
      return jsonReply(status, { message });
    },
    rateLimited(retryAfterSeconds: number): Reply {
      return jsonReply(
        429,
        { message: TOO_MANY_ATTEMPTS_MESSAGE },
        {
          'X-RateLimit-Limit': String(opts.rateLimit),
          'X-RateLimit-Remaining': '0',
          'Retry-After': String(retryAfterSeconds),
          'X-RateLimit-Reset': String(Math.ceil(opts.now() / 1000) + retryAfterSeconds),
        },
      );
    },
    malformed(): Reply {
      return textReply(200, TRUNCATED_JSON, 'application/json');
    },
  };
}
