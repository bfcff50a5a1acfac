import { DEMO_MAILERLITE_TOKEN } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** GET a URL and parse the JSON body (null for an empty body). */
export async function getJson<T>(url: string): Promise<JsonResponse<T>> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

export type MailerLiteCall = <T = unknown>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<JsonResponse<T>>;

/** A minimal MailerLite client for the tests: `call('POST', '/api/subscribers', {...})`. */
export function mailerLiteClient(
  handle: EmulatorHandle,
  token: string | null = DEMO_MAILERLITE_TOKEN,
): MailerLiteCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> => {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Content-Type': 'application/json',
    };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(`${handle.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
  };
}

export interface MlSubscriber {
  id: string;
  email: string;
  status: string;
  fields: Record<string, unknown>;
  groups?: { id: string; name: string }[];
  created_at: string;
  updated_at: string;
}

export interface MlGroup {
  id: string;
  name: string;
  active_count: number;
  unsubscribed_count: number;
}

export interface MlField {
  id: string;
  name: string;
  key: string;
  type: string;
  is_default: boolean;
  used_in_automations?: boolean;
}

export interface MlValidationError {
  message: string;
  errors: Record<string, string[]>;
}

export interface MlCursorList<T> {
  data: T[];
  links: { first: string | null; last: string | null; prev: string | null; next: string | null };
  meta: { path: string; per_page: number; next_cursor: string | null; prev_cursor: string | null };
}

export interface MlPageList<T> {
  data: T[];
  links: { first: string; last: string; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    last_page: number;
    per_page: number;
    to: number | null;
    total: number;
  };
}
