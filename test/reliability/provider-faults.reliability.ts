import type { EmulatorHandle, FaultSettings } from '../../dev/emulators';
import { startSync } from '../../src/client';
import type { SyncSummary } from '../../src/shared/sync-types';
import { setFaults } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { withWorker } from '../helpers/temporal';
import { faultCounts, recordCounts } from './support/counts';
import { compareMailerLiteState, seededCase } from './support/state';
import { expectCompleteSummary, sleep } from './support/sync';

/** The client gives up on a request after this long, so a latency spike also means timeouts. */
const HTTP_TIMEOUT_MS = 2_500;

const { temporal, useStack } = useIntegrationStack({ stack: false });

/**
 * Both emulators misbehave at once: 10% 5xx, resets, malformed bodies, 429 bursts, and (MailerLite)
 * writes applied before a 500. Latency is a jitter of tens of milliseconds, with spikes of seconds,
 * some longer than the client's timeout: a timed-out write is still applied afterwards.
 */
function settings(emulator: 'edd' | 'mailerlite', spike: boolean, seed: number): Record<string, unknown> {
  const faults: FaultSettings = {
    errorRate: 0.1,
    resetRate: 0.03,
    malformedRate: 0.03,
    ...(emulator === 'mailerlite' ? { applyBeforeFailRate: 0.04 } : {}),
    rateLimitBursts:
      emulator === 'mailerlite'
        ? { every: 6, length: 1, retryAfterSeconds: 1 }
        : { every: 40, length: 2, retryAfterSeconds: 1 },
    latencyMs: spike ? { min: 1_000, max: 4_000 } : { min: 0, max: 60 },
    seed,
  };
  return { ...faults };
}

/** Alternates calm and spike periods on both emulators until stopped; returns the spikes made. */
function latencySpikes(emulators: { edd: EmulatorHandle; mailerlite: EmulatorHandle }) {
  let stopped = false;
  let spikes = 0;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const spike = i % 2 === 1;
      if (spike) spikes++;
      await setFaults(emulators.edd, settings('edd', spike, 3_000 + i));
      await setFaults(emulators.mailerlite, settings('mailerlite', spike, 4_000 + i));
      await sleep(spike ? 1_000 : i === 0 ? 5_000 : 10_000);
    }
  })();
  return {
    async stop(): Promise<number> {
      stopped = true;
      await loop;
      return spikes;
    },
  };
}

// Both write paths: budgeted (a MailerLite request per activity; the default) and direct (no budget
// configured: a page per activity, a failing batch tried again in place).
describe.each([
  ['budgeted', {}],
  ['direct', { MAILERLITE_REQUESTS_PER_MINUTE: '0' }],
] as const)('reliability 3: faults in both emulators (%s write path)', (path, env) => {
  const stack = useStack({ customers: 2000, env: { HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS), ...env } });

  it('completes with the exact destination state under 5xx, 429 bursts, resets, latency spikes and malformed bodies', async () => {
    const started = Date.now();
    const { campaign, product, truth, expected, seeded } = await seededCase(stack);

    const spikes = latencySpikes(stack);
    let summary: SyncSummary;
    let spikeCount: number;
    try {
      summary = await withWorker(temporal, stack.activities, async (taskQueue) =>
        (
          await startSync(temporal.client, taskQueue, {
            campaign,
            productId: product.id,
            pageSize: 50,
            // Small batches make MailerLite requests many enough that every fault kind surely hits.
            batchSize: 10,
          })
        ).result(),
      );
    } finally {
      spikeCount = await spikes.stop();
      await setFaults(stack.edd, {});
      await setFaults(stack.mailerlite, {});
    }

    expectCompleteSummary(summary, truth, expected, seeded);
    expect(summary.writePath).toBe(path);
    const compared = await compareMailerLiteState({ stack, campaign, expected, seeded, summary });
    expect(compared).toBe(expected.size + seeded.untouched.length);

    const edd = await faultCounts(stack.edd);
    const mailerlite = await faultCounts(stack.mailerlite);
    process.stderr.write(
      `reliability 3 (${path}): faults EDD ${JSON.stringify(edd.byKind)}, MailerLite ${JSON.stringify(mailerlite.byKind)}; ` +
        `${spikeCount} latency spikes; sync ${Math.round(summary.durationMs / 1000)} s; ${edd.delayed + mailerlite.delayed} requests delayed\n`,
    );
    // Every kind of fault did happen, on both sides: this was no quiet run.
    for (const kind of ['serverError', 'reset', 'malformed', 'rateLimitBurst']) {
      expect(edd.byKind[kind]).toBeGreaterThan(0);
      expect(mailerlite.byKind[kind]).toBeGreaterThan(0);
    }
    expect(mailerlite.byKind.appliedThenFailed).toBeGreaterThan(0);
    expect(spikeCount).toBeGreaterThan(0);
    recordCounts({
      name: `3 provider faults, ${path}`,
      recordsCompared: compared,
      faultsInjected: edd.total + mailerlite.total,
      requestsDelayed: edd.delayed + mailerlite.delayed,
      durationMs: Date.now() - started,
    });
  });
});
