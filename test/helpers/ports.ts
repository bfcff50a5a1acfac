import { createServer } from 'node:net';

/**
 * A local port free a moment ago (bound, then released): for a server the test starts on it, or,
 * left unused, a port where nothing listens (connections to it are refused).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
