import { findTemporalServer } from './find-server';

/**
 * `npm run temporal-server:ensure`: finds or builds the full Temporal server (the TLS test's; the
 * CLI's dev server takes no TLS settings) and prints where it is, so the test does not build it.
 */
try {
  console.log(`Temporal server: ${findTemporalServer({ log: (m) => console.error(m) })}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
