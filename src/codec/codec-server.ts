import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser (the Temporal UI's, e.g. http://localhost:8233). */
  origins: string[];
  /** When set, callers must send `Authorization: Bearer <token>`. */
  token?: string;
  port?: number;
  host?: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The codec server the Temporal UI (and `temporal` CLI) call to show encrypted payloads in clear:
 * `POST /decode` and `POST /encode` with `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`,
 * the Temporal codec server protocol. Only the listed browser origins get CORS answers, and with a
 * token only callers who present it are served: decoding is for those who may see the data.
 */
export async function startCodecServer(
  opts: CodecServerOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      reply(res, 400, { message: err instanceof Error ? err.message : String(err) }, req, opts);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: CodecServerOptions): Promise<void> {
  if (req.method === 'OPTIONS') {
    reply(res, 204, undefined, req, opts);
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode')) {
    reply(res, 404, { message: 'POST /encode or POST /decode' }, req, opts);
    return;
  }
  if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
    reply(res, 401, { message: 'a valid Authorization: Bearer token is required' }, req, opts);
    return;
  }
  const body = JSON.parse(await readBody(req)) as { payloads?: JsonPayload[] };
  if (!Array.isArray(body.payloads)) throw new Error('the body must be {"payloads": [...]}');
  const payloads = body.payloads.map(fromJson);
  const out = path === '/encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
  reply(res, 200, { payloads: out.map(toJson) }, req, opts);
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  req: IncomingMessage,
  opts: CodecServerOptions,
): void {
  const origin = req.headers.origin;
  if (origin && opts.origins.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
  }
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}
