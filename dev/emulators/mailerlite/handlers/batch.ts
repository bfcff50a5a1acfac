import { BATCH_METHODS, MAX_BATCH_REQUESTS } from '../facts';
import type { LimitDecision } from '../rate-limiter';
import { importRateLimited } from '../responses';
import type { ApiResponse, Handler } from '../router';
import type { MailerLiteStats } from '../stats';
import { ValidationErrors, isPlainObject, rule } from '../validation';

export interface BatchDependencies {
  /** Runs one inner request (`path` relative, e.g. `api/subscribers?limit=5`) without auth or throttling. */
  execute(method: string, path: string, body: unknown): ApiResponse;
  /** Counts an import against the import limit; null when imports are unlimited. */
  attemptImport(): LimitDecision | null;
  stats: MailerLiteStats;
}

interface BatchItem {
  method: string;
  path: string;
  body: unknown;
}

function validate(body: unknown): BatchItem[] | ValidationErrors {
  const errors = new ValidationErrors();
  const requests = isPlainObject(body) ? body.requests : undefined;
  if (requests === undefined || requests === null) {
    errors.add('requests', rule.required('requests'));
    return errors;
  }
  if (!Array.isArray(requests)) {
    errors.add('requests', rule.array('requests'));
    return errors;
  }
  if (requests.length > MAX_BATCH_REQUESTS) {
    errors.add('requests', rule.maxItems('requests', MAX_BATCH_REQUESTS));
  }
  const items: BatchItem[] = [];
  (requests as unknown[]).forEach((raw, i) => {
    const at = `requests.${i}`;
    if (!isPlainObject(raw)) {
      errors.add(at, rule.array(at));
      return;
    }
    const { method, path, body: itemBody } = raw;
    if (typeof method !== 'string' || method === '') {
      errors.add(`${at}.method`, rule.required(`${at}.method`));
    } else if (!(BATCH_METHODS as readonly string[]).includes(method)) {
      errors.add(`${at}.method`, rule.in(`${at}.method`));
    }
    if (typeof path !== 'string' || path === '') errors.add(`${at}.path`, rule.required(`${at}.path`));
    else if (!path.startsWith('api/')) errors.add(`${at}.path`, rule.regex(`${at}.path`));
    if (itemBody !== undefined && itemBody !== null && !isPlainObject(itemBody)) {
      errors.add(`${at}.body`, rule.array(`${at}.body`));
    }
    items.push({ method: String(method), path: String(path), body: itemBody ?? {} });
  });
  return errors.isEmpty ? items : errors;
}

/** A batch made only of subscriber upserts is processed as an import, under its own limit. */
function isImport(items: BatchItem[]): boolean {
  return (
    items.length > 0 &&
    items.every(
      (i) => i.method === 'POST' && i.path.replace(/[?#].*$/, '').replace(/\/+$/, '') === 'api/subscribers',
    )
  );
}

/** `POST /api/batch`: runs up to 50 requests in order; the outer status is 200 even when items fail. */
export function createBatchHandler(deps: BatchDependencies): Handler {
  return (req) => {
    const items = validate(req.body);
    if (items instanceof ValidationErrors) return items.toResponse();
    if (isImport(items)) {
      const decision = deps.attemptImport();
      if (decision && !decision.allowed) {
        deps.stats.importRateLimited += 1;
        return importRateLimited(decision);
      }
      deps.stats.imports += 1;
    }
    const responses = items.map((item) => {
      const res = deps.execute(item.method, item.path, item.body);
      return { code: res.status, body: res.body ?? null };
    });
    const successful = responses.filter((r) => r.code >= 200 && r.code < 300).length;
    return {
      status: 200,
      body: { total: responses.length, successful, failed: responses.length - successful, responses },
    };
  };
}
