import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { EmulatorHandle } from '../types';

/** Request bodies above this size are refused; the emulators only ever receive small JSON documents. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Raised when a request body exceeds {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads the whole request body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(MAX_BODY_BYTES);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A complete answer, computed before anything is written, so a fault can replace it. */
export interface Reply {
  status: number;
  headers: OutgoingHttpHeaders;
  /** Omitted for bodiless answers (204). */
  body?: string;
}

/** A JSON reply; `indent` as in {@link sendJson}. */
export function jsonReply(
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
  indent?: number,
): Reply {
  const text = JSON.stringify(body, null, indent);
  return {
    status,
    headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
    body: text,
  };
}

/** A plain-text or HTML reply. */
export function textReply(
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
  headers: OutgoingHttpHeaders = {},
): Reply {
  return {
    status,
    headers: { ...headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) },
    body: text,
  };
}

/** Writes a {@link Reply}. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}

/**
 * Writes a JSON response. `indent` reproduces providers that pretty-print (EDD always does; Laravel's
 * exception handler does for MailerLite's 404s), which matters only to someone reading raw output.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
  indent?: number,
): void {
  sendReply(res, jsonReply(status, body, headers, indent));
}

/** Writes a response without a body (204 and friends). */
export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Writes a plain-text or HTML response. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  sendReply(res, textReply(status, text, contentType));
}

/** Binds `server` and returns a handle whose `close` also drops idle keep-alive sockets. */
export async function listen(server: Server, host: string, port: number): Promise<EmulatorHandle> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch() keeps connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
