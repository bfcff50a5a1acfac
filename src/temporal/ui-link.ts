/**
 * Temporal Web UI base URL: the configured one; Temporal Cloud's for a Cloud endpoint
 * (`<namespace>.<account>.tmprl.cloud`, `<region>.<cloud>.api.temporal.io`); else the dev
 * server's default (gRPC port + 1000).
 */
export function uiBaseUrl(address: string, configured?: string): string {
  if (configured) return configured.replace(/\/+$/, '');
  const [host = 'localhost', port = '7233'] = address.split(':');
  if (/\.tmprl\.cloud$|\.api\.temporal\.io$/.test(host)) return 'https://cloud.temporal.io';
  return `http://${host === '127.0.0.1' ? 'localhost' : host}:${Number(port) + 1000}`;
}

/** Link to a run's history in the Temporal Web UI. */
export function runUrl(uiBase: string, namespace: string, workflowId: string, runId: string): string {
  return `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}
