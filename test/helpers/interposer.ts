import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the interposer forwarded, with the answer it got. */
export interface Forwarded {
  method: string;
  /** Path and query, e.g. `/api/batch`. */
  path: string;
  body: string;
  status: number;
  answer: string;
}

export interface Interposer {
  /** `http://127.0.0.1:<port>`: give clients `${url}/api` as their MailerLite base URL. */
  url: string;
  /** Where requests go on to (e.g. an emulator's URL); requests fail with 502 until it is set. */
  target: string | undefined;
  close(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Headers that describe one hop's transfer, not the answer itself. */
const HOP_HEADERS = new Set([
  'connection',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'keep-alive',
]);

/**
 * A real HTTP server between a client and a provider (an emulator) that forwards every request
 * and, once the provider has answered, awaits `after` before handing the answer back. So a test can
 * act at an exact moment of a sync over real sockets: e.g. unsubscribe someone right after the
 * sync's batch that read them, before the batch that writes them is even sent.
 */
export async function startInterposer(after: (forwarded: Forwarded) => Promise<void>): Promise<Interposer> {
  const interposer: Interposer = { url: '', target: undefined, close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      if (!interposer.target) {
        res.writeHead(502, { 'Content-Type': 'application/json' }).end('{"message":"no target yet"}');
        return;
      }
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && !HOP_HEADERS.has(e[0]) && e[0] !== 'host',
        ),
      );
      const upstream = await fetch(`${interposer.target}${path}`, {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? undefined : body,
      });
      const answer = await upstream.text();
      await after({ method, path, body, status: upstream.status, answer });
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!HOP_HEADERS.has(name)) out[name] = value;
      });
      res.writeHead(upstream.status, out).end(answer);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `interposer: ${String(err)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  interposer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  interposer.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return interposer;
}
