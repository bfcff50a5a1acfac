/**
 * MailerLite behaviour the emulator reproduces, in one place so a fact can be corrected once.
 *
 * Confirmed from recorded real responses (VCR cassettes in mailerlite/mailerlite-python,
 * tests/vcr_cassettes, recorded 2025-09) unless marked *unconfirmed*.
 */

/** `POST /api/subscribers` answers 201 when it created the subscriber (cassette subscribers-create.yml). */
export const UPSERT_CREATED_STATUS = 201;
/** …and 200 when the email already existed (cassette subscribers-update.yml). */
export const UPSERT_UPDATED_STATUS = 200;

export const UNAUTHENTICATED_MESSAGE = 'Unauthenticated.';
export const TOO_MANY_ATTEMPTS_MESSAGE = 'Too Many Attempts.';
export const IMPORT_RATE_LIMITED_MESSAGE = "You're being rate limited on import creation.";
/** Laravel 8 style top-level message of a 422 (documented for the batch endpoint). */
export const VALIDATION_MESSAGE = 'The given data was invalid.';

/**
 * Laravel's route-model-binding 404s. Note the asymmetry seen in the cassettes: the subscriber
 * message has no ID, the group and field messages end with the ID.
 */
export const notFoundMessage = {
  subscriber: (): string => 'No query results for model [App\\Models\\Subscriber\\Subscriber].',
  group: (id: string): string => `No query results for model [App\\Models\\Group\\Group] ${id}`,
  field: (id: string): string => `No query results for model [App\\Models\\Field] ${id}`,
  route: (path: string): string => `The route ${path} could not be found.`,
};

/**
 * An upsert (`POST /api/subscribers`, also inside a batch) of an existing subscriber who withdrew
 * is refused: 422 "This subscriber is unsubscribed and cannot be imported". Recorded in the official
 * SDKs' tests for an unsubscribed subscriber, both with `status: active` and with `groups` and no
 * status. *Unconfirmed*: that bounced and junk subscribers are refused the same way, with their
 * status in the sentence; that bodies with neither (only `fields`) are refused too; and the
 * `errors` key (the emulator files the message under `email`, the attribute the refusal is about,
 * in the `{message, errors: {field: [...]}}` shape of MailerLite's other 422s).
 */
export const CONSENT_LOCKED_STATUSES = ['unsubscribed', 'bounced', 'junk'] as const;
export const notImportableMessage = (status: string): string =>
  `This subscriber is ${status} and cannot be imported`;

/** Statuses a subscriber can have. */
export const SUBSCRIBER_STATUSES = ['active', 'unsubscribed', 'unconfirmed', 'bounced', 'junk'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

export const FIELD_TYPES = ['text', 'number', 'date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** The fields every account starts with, with their real IDs and keys (cassette fields-list.yml). */
export const DEFAULT_FIELDS: readonly { id: string; name: string; key: string }[] = [
  { id: '1', name: 'Name', key: 'name' },
  { id: '2', name: 'Last name', key: 'last_name' },
  { id: '3', name: 'Company', key: 'company' },
  { id: '4', name: 'Country', key: 'country' },
  { id: '5', name: 'City', key: 'city' },
  { id: '6', name: 'Phone', key: 'phone' },
  { id: '7', name: 'State', key: 'state' },
  // "Zip" → "z_i_p": the real key is not what fieldKey() would derive from the name.
  { id: '8', name: 'Zip', key: 'z_i_p' },
];

/** Documented default page size of `GET /api/subscribers` and group subscribers. */
export const DEFAULT_SUBSCRIBERS_LIMIT = 25;
/**
 * Largest `limit` the cursor lists (`GET /api/subscribers`, `GET /api/groups/{id}/subscribers`)
 * accept; a larger one is refused with a 422 validation error on `limit` (Laravel's `max` rule).
 * *Unconfirmed*, both the size and the refusal: MailerLite documents no maximum, third-party code
 * uses 100, others 1000. The emulator's `maxListLimit` option (CLI `--max-list-limit`) changes it,
 * so clients can be tried against a smaller one; `npm run contract:real` reports the real one.
 */
export const DEFAULT_MAX_LIST_LIMIT = 1000;
/** Page-based lists (groups, fields) clamp a larger `limit` to this (*unconfirmed*). */
export const MAX_SUBSCRIBERS_LIMIT = 1000;
/**
 * The status a group's member list shows when `filter[status]` is absent: active only, the default
 * the official Node SDK documents (`@default "active"` on `groups.getSubscribers`' filter). For
 * `GET /api/subscribers` no default is documented; the emulator lists every status there (*unconfirmed*).
 */
export const DEFAULT_GROUP_MEMBERS_STATUS = 'active';
/**
 * Groups an account may hold: 1,000 (MailerLite's help pages; older ones said 250). Configurable:
 * the emulator's `maxGroups` option (CLI `--max-groups`). What creating one more answers is
 * *unconfirmed*: the emulator answers a 422 with this message (filed under `name`, the attribute
 * of the create body), in MailerLite's usual `{message, errors}` shape.
 */
export const DEFAULT_MAX_GROUPS = 1000;
export const groupLimitMessage = (max: number): string =>
  `You have reached the maximum number of groups (${max}).`;
/** *Unconfirmed*: the documentation's example responses for groups and fields show `per_page: 100`. */
export const DEFAULT_GROUPS_LIMIT = 100;
export const DEFAULT_FIELDS_LIMIT = 100;
/** Documented maximum number of requests in one `POST /api/batch`. */
export const MAX_BATCH_REQUESTS = 50;
export const BATCH_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Documented defaults: 120 API requests a minute per account, 5 imports (subscriber-only batches) a minute. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 120;
export const DEFAULT_IMPORT_LIMIT_PER_MINUTE = 5;
export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * Server errors, for fault injection. All *unconfirmed* (no recorded 5xx): 500 and 503 are what
 * Laravel's exception handler renders with debug off (`"Server Error"` has no full stop; 503 is
 * maintenance mode); 502 comes from the edge in front of the application (the cassettes show
 * Cloudflare and Envoy headers), as an HTML page rather than JSON.
 */
export const SERVER_ERROR_MESSAGE = 'Server Error';
export const SERVICE_UNAVAILABLE_MESSAGE = 'Service Unavailable';
export const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

/**
 * Group import. Sources and confidence:
 * - `POST /api/groups/{id}/import-subscribers` with `{"subscribers":[{"email","fields"}]}`, answered
 *   `{"import_progress_url": "..."}`: the official Go SDK (mailerlite-go groups.go,
 *   `ImportSubscribers`, 2026-03). No recorded response: the status code (200 here) is *unconfirmed*.
 * - `POST /api/groups/{id}/subscribers/import` with the same body: the official Python SDK
 *   (`import_subscribers_to_group`); its only cassette recorded a 401, so this path is
 *   *unconfirmed*. The emulator serves both paths with one handler.
 * - `GET /api/subscribers/import/{id}`: confirmed, recorded response (mailerlite-python cassette
 *   subscribers-get-import.yml, 2024-12); see `importJson` for the shape. It carries the
 *   X-RateLimit headers, so it counts against the general limit.
 * - `GET /api/subscribers/import`: confirmed, a page-based list, 15 per page, newest first
 *   (mailerlite-java fixture SubscribersTest_TestGetSubscriberImports, 2023-12).
 * - Entries of the `invalid`, `changed`, ... lists are `{id, email}` (mailerlite-java
 *   SubscriberImportStatusEntry); what puts a row in which list is *unconfirmed* (see handlers/imports.ts).
 * - That a group import counts against the 5-per-minute import limit: *unconfirmed* (the limit's
 *   message speaks of "import creation").
 * - The real import is asynchronous; the emulator applies it at once and reports it done.
 */
export const IMPORT_STATUS_PATH = '/api/subscribers/import';
export const IMPORTS_PER_PAGE = 15;
/** *Unconfirmed*: the model class in the 404 of an unknown import ID. */
export const importNotFoundMessage = (id: string): string =>
  `No query results for model [App\\Models\\Import\\Import] ${id}`;
