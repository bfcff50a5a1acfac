import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WebhookReceiver<T> {
  /** Where to point HEALTH_WEBHOOK_URL. */
  url: string;
  /** Every JSON body POSTed so far, in order. */
  received: T[];
  /** The HTTP status it answers from now on (204 by default; a 5xx makes the sender retry). */
  answerWith(status: number): void;
  /** Waits until a body matching `match` has arrived, and returns it. */
  waitFor(match: (body: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** A real HTTP server on localhost that takes an operator's webhook POSTs, as a chat or pager hook would. */
export async function startWebhookReceiver<T = unknown>(): Promise<WebhookReceiver<T>> {
  const received: T[] = [];
  let status = 204;
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(data) as T);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/campaign-sync`,
    received,
    answerWith: (code) => {
      status = code;
    },
    async waitFor(match, what, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no webhook call ${what} within ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
