import { findTemporalCli, TemporalCliNotFoundError } from './find-cli';

/** `npm run temporal:ensure`: finds or builds the Temporal CLI and prints where it is. */
function main(): void {
  const cli = findTemporalCli({ log: (m) => console.error(m), allowDownload: true });
  console.log(`Temporal CLI (${cli.source}): ${cli.path ?? '(downloaded by the SDK on first use)'}`);
}

try {
  main();
} catch (err) {
  console.error(err instanceof TemporalCliNotFoundError ? err.message : err);
  process.exit(1);
}
