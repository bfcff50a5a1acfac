import { textReply } from '../shared/http';
import type { Reply } from '../shared/http';
import type { FaultProfile, ServerErrorStatus } from '../shared/faults';
import {
  NGINX_BAD_GATEWAY_HTML,
  WAF_RATE_LIMITED_HTML,
  WP_FATAL_HTML,
  WP_MAINTENANCE_HTML,
} from './html-pages';

const HTML = 'text/html; charset=UTF-8';

/** EDD pretty-prints; a response cut short after the first lines of a customers page. */
const TRUNCATED_JSON =
  '{\n    "customers": [\n        {\n            "info": {\n                "customer_id": "';

/** How a WordPress site running EDD answers injected faults: HTML pages, never JSON. */
export const eddFaultProfile: FaultProfile = {
  serverError(status: ServerErrorStatus): Reply {
    if (status === 502) return textReply(502, NGINX_BAD_GATEWAY_HTML, 'text/html');
    if (status === 503) return textReply(503, WP_MAINTENANCE_HTML, HTML);
    return textReply(500, WP_FATAL_HTML, HTML);
  },
  rateLimited(retryAfterSeconds: number): Reply {
    return textReply(429, WAF_RATE_LIMITED_HTML, HTML, { 'Retry-After': String(retryAfterSeconds) });
  },
  malformed(): Reply {
    return textReply(200, TRUNCATED_JSON, 'application/json');
  },
};
