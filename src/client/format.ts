import type { SyncProgress, SyncSummary } from '../shared/sync-types';
import type { HeldLock } from './locks';
import type { SyncStatus } from './sync-status';

export function formatProgress(p: SyncProgress): string {
  return (
    `[${p.campaign}] ${p.phase}: pages ${p.pages}, fetched ${p.fetched}, valid ${p.valid}, invalid ${p.invalid}, ` +
    `created ${p.created}, updated ${p.updated}, unchanged ${p.unchanged}, superseded ${p.superseded}, skipped ${p.skipped}, failed ${p.failed}`
  );
}

export function formatSummary(s: SyncSummary): string {
  const lines = [
    ...(s.dryRun
      ? [
          'DRY RUN: nothing was written; created and updated count what a real run would write.',
          ...(s.resourcesToCreate.length > 0
            ? [`Would create in MailerLite: ${s.resourcesToCreate.join(', ')}`]
            : []),
        ]
      : []),
    `Campaign ${s.campaign} (EDD product ${s.productId}): ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  pages      ${s.pages} (in ${s.runs} run${s.runs === 1 ? '' : 's'})`,
    `  fetched    ${s.fetched}`,
    `  valid      ${s.valid}`,
    `  invalid    ${s.invalid}`,
    `  created    ${s.created}`,
    `  updated    ${s.updated}`,
    `  unchanged  ${s.unchanged}`,
    `  superseded ${s.superseded} (older orders of a buyer whose newer order is synced)`,
    `  skipped    ${s.skipped} (consent kept, or not created in update-only mode)`,
    `  failed     ${s.failed}`,
    `  synced     ${s.created + s.updated + s.unchanged} (created + updated + unchanged)`,
  ];
  if (s.invalidRecords.length > 0) {
    lines.push('Invalid records (not written; fix them in EDD):');
    for (const r of s.invalidRecords) {
      lines.push(`  order ${r.orderId}, customer ${r.customerId} <${r.email}>: ${r.reasons.join('; ')}`);
    }
    if (s.invalidRecordsOmitted > 0) lines.push(`  ... and ${s.invalidRecordsOmitted} more`);
  }
  for (const kind of ['created', 'updated'] as const) {
    if (s.samples[kind].length === 0) continue;
    lines.push(`Would be ${kind} (sample):`);
    for (const r of s.samples[kind])
      lines.push(`  order ${r.orderId} <${r.email}>: ${JSON.stringify(r.fields)}`);
  }
  if (s.skippedRecords.length > 0) {
    lines.push('Records deliberately not written:');
    for (const r of s.skippedRecords)
      lines.push(`  order ${r.orderId}, customer ${r.customerId} <${r.email}>: ${r.reason}`);
    if (s.skippedRecordsOmitted > 0) lines.push(`  ... and ${s.skippedRecordsOmitted} more`);
  }
  if (s.failedRecords.length > 0) {
    lines.push('Records MailerLite refused:');
    for (const r of s.failedRecords)
      lines.push(`  order ${r.orderId}, customer ${r.customerId} <${r.email}>: ${r.reason}`);
    if (s.failedRecordsOmitted > 0) lines.push(`  ... and ${s.failedRecordsOmitted} more`);
  }
  return lines.join('\n');
}

export function formatStatus(s: SyncStatus): string {
  const lines = [
    `Campaign ${s.campaign}: ${s.status}`,
    `  workflow   ${s.workflowId}`,
    `  run        ${s.runId}`,
    `  started    ${s.startedAt.toISOString()}`,
  ];
  if (s.closedAt) lines.push(`  closed     ${s.closedAt.toISOString()}`);
  if (s.progress) lines.push(`  progress   ${formatProgress(s.progress)}`);
  if (s.failure) lines.push(`  failure    ${s.failure}`);
  if (s.summary) lines.push(formatSummary(s.summary));
  return lines.join('\n');
}

export function formatLocks(locks: HeldLock[]): string {
  if (locks.length === 0) return 'No campaign is locked: no sync is running.';
  return [
    'Campaign locks held by running syncs:',
    ...locks.map(
      (l) =>
        `  ${l.campaign}  run ${l.runId}  since ${l.startedAt.toISOString()}  by ${l.trigger ?? 'unknown'}`,
    ),
  ].join('\n');
}
