import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  registry: Registry;
  port: number;
  host?: string;
  /**
   * Where the Temporal SDK's native runtime serves its own metrics (worker task slots, poll and
   * schedule-to-start latencies, sticky cache...); appended to this endpoint's answer, so one scrape
   * target has both.
   */
  sdkMetricsUrl?: string;
}

/**
 * The worker's Prometheus endpoint: `GET /metrics` answers the project's metrics (provider
 * requests, subscribers by outcome, runs, health) followed by the Temporal SDK's.
 */
export async function startMetricsServer(
  opts: MetricsServerOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    void (async () => {
      try {
        let body = await opts.registry.metrics();
        if (opts.sdkMetricsUrl) body += `\n${await sdkMetrics(opts.sdkMetricsUrl)}`;
        res.writeHead(200, { 'Content-Type': opts.registry.contentType }).end(body);
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host ?? '0.0.0.0', resolve));
  const { port } = server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}/metrics`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The SDK's metrics text; a comment instead when its endpoint does not answer (never fails a scrape). */
async function sdkMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}
