import { IMPORTS_PER_PAGE, IMPORT_STATUS_PATH, importNotFoundMessage } from '../facts';
import { lengthAwarePage } from '../pagination';
import type { LimitDecision } from '../rate-limiter';
import { importRateLimited } from '../responses';
import type { ApiResponse, Handler } from '../router';
import { importJson } from '../serializers';
import type { Group, ImportReport, MailerLiteState } from '../state';
import type { MailerLiteStats } from '../stats';
import { ValidationErrors, isPlainObject, isValidEmail, rule } from '../validation';
import { groupNotFound } from './groups';
import { pageParam } from './list-params';
import { NOT_FOUND_INDENT } from './subscribers';
import { applySubscriberInput, parseSubscriberInput } from './subscriber-input';

export interface ImportDependencies {
  /** Counts an import against the import limit; null when imports are unlimited. */
  attemptImport(): LimitDecision | null;
  stats: MailerLiteStats;
}

/**
 * The request is refused (422) only when `subscribers` is missing, empty, not an array, or holds a
 * non-object; a row's own problems (bad email, bad field value) are reported in the import, as an
 * asynchronous import would (*unconfirmed*).
 */
function validate(body: unknown): Record<string, unknown>[] | ValidationErrors {
  const errors = new ValidationErrors();
  const subscribers = isPlainObject(body) ? body.subscribers : undefined;
  if (
    subscribers === undefined ||
    subscribers === null ||
    (Array.isArray(subscribers) && !subscribers.length)
  ) {
    errors.add('subscribers', rule.required('subscribers'));
    return errors;
  }
  if (!Array.isArray(subscribers)) {
    errors.add('subscribers', rule.array('subscribers'));
    return errors;
  }
  (subscribers as unknown[]).forEach((row, i) => {
    if (!isPlainObject(row)) errors.add(`subscribers.${i}`, rule.array(`subscribers.${i}`));
  });
  return errors.isEmpty ? (subscribers as Record<string, unknown>[]) : errors;
}

/**
 * Applies the rows in order, the emulator's reading of the report (*unconfirmed* beyond the field
 * names): a new email is `imported` (active, source "import", in the group); an existing one whose
 * fields or group membership change is `updated` and listed in `changed`, otherwise listed in
 * `unchanged`; an existing unsubscribed one keeps its status and is also listed in `unsubscribed`;
 * a repeated email is skipped and listed in `duplicate`; a bad email is `errored` and listed in
 * `invalid`; a bad field value is `errored`. Only `email` and `fields` of a row are read.
 */
function runImport(state: MailerLiteState, group: Group, rows: Record<string, unknown>[]): ImportReport {
  const report = state.createImport(group.id, rows.length);
  const seen = new Set<string>();
  for (const row of rows) {
    const email = typeof row.email === 'string' ? row.email.trim() : '';
    if (!isValidEmail(email)) {
      report.errored += 1;
      report.invalid.push({ id: null, email: typeof row.email === 'string' ? row.email : '' });
      continue;
    }
    const key = email.toLowerCase();
    if (seen.has(key)) {
      report.duplicate.push({ id: state.subscriberByEmail(key)?.id ?? null, email: key });
      continue;
    }
    seen.add(key);
    const input = parseSubscriberInput(
      state,
      { email, fields: row.fields, groups: [group.id] },
      { requireEmail: true },
    );
    if (input instanceof ValidationErrors) {
      report.errored += 1;
      continue;
    }
    const existing = state.subscriberByEmail(key);
    if (!existing) {
      const created = state.createSubscriber(email, 'active');
      created.source = 'import';
      applySubscriberInput(state, created, input);
      report.imported += 1;
      continue;
    }
    const entry = { id: existing.id, email: existing.email };
    if (existing.status === 'unsubscribed') report.unsubscribed.push(entry);
    const changes =
      !group.memberIds.has(existing.id) ||
      input.fields.some(([field, value]) => (existing.fields.get(field) ?? null) !== value);
    if (!changes) {
      report.unchanged.push(entry);
      continue;
    }
    applySubscriberInput(state, existing, input);
    report.updated += 1;
    report.changed.push(entry);
  }
  return report;
}

/**
 * `POST /api/groups/{id}/import-subscribers` (and the Python SDK's `/subscribers/import` path):
 * counts against the import limit, applies the rows at once and answers with the URL of the report.
 */
export function createImportSubscribersHandler(deps: ImportDependencies): Handler {
  return (req, ctx) => {
    const group = ctx.state.groups.get(req.params.id ?? '');
    if (!group) return groupNotFound(req.params.id ?? '');
    const rows = validate(req.body);
    if (rows instanceof ValidationErrors) return rows.toResponse();
    const decision = deps.attemptImport();
    if (decision && !decision.allowed) {
      deps.stats.importRateLimited += 1;
      return importRateLimited(decision);
    }
    deps.stats.imports += 1;
    const report = runImport(ctx.state, group, rows);
    return {
      status: 200,
      body: { import_progress_url: `${ctx.baseUrl}${IMPORT_STATUS_PATH}/${report.id}` },
    };
  };
}

const importNotFound = (id: string): ApiResponse => ({
  status: 404,
  body: { message: importNotFoundMessage(id) },
  indent: NOT_FOUND_INDENT,
});

/** `GET /api/subscribers/import/{id}`: one report. */
export const getImport: Handler = (req, ctx) => {
  const report = ctx.state.imports.get(req.params.id ?? '');
  return report ? { status: 200, body: { data: importJson(report) } } : importNotFound(req.params.id ?? '');
};

/** `GET /api/subscribers/import?page=N`: every report, newest first, 15 a page. */
export const listImports: Handler = (req, ctx) => {
  const reports = [...ctx.state.imports.values()].reverse().map(importJson);
  return {
    status: 200,
    body: lengthAwarePage(
      reports,
      pageParam(req.query),
      IMPORTS_PER_PAGE,
      `${ctx.baseUrl}${IMPORT_STATUS_PATH}`,
    ),
  };
};
