import type { ActivityDeps } from './deps';

export interface ConnectionCheck {
  provider: 'edd' | 'mailerlite';
  latencyMs: number;
}

/**
 * Proves both providers answer with the configured credentials before a sync writes anything.
 * A wrong key or token fails with ProviderAuthError, which is not retried.
 */
export function connectionActivities({ providers, logger }: ActivityDeps) {
  return {
    async checkConnections(): Promise<ConnectionCheck[]> {
      const checks: ConnectionCheck[] = [];
      for (const [provider, client] of [
        ['edd', providers.edd],
        ['mailerlite', providers.mailerlite],
      ] as const) {
        const started = performance.now();
        await client.validateConnection();
        checks.push({ provider, latencyMs: Math.round(performance.now() - started) });
      }
      logger.info({ checks }, 'provider connections ok');
      return checks;
    },
  };
}
