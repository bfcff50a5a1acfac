import { unpolledAdvice } from '../shared/health';
import { percent } from '../shared/notifications';
import type { MirrorReport, SyncProgress, SyncSummary } from '../shared/sync-types';
import type { TierProgress, TransitionProgress, TransitionSummary } from '../shared/transition-types';
import type { HeldLock } from './locks';
import { runHeaderLines, type Emphasis } from './present';
import { whenAndAge } from '../shared/when';
import type { SyncReport } from './sync-report';
import type { SyncStatus } from './sync-status';
import type { PendingActivity } from '../temporal/system';

export function formatProgress(p: SyncProgress): string {
  return (
    `[${p.campaign}] ${p.phase}: pages ${p.pages}, fetched ${p.fetched}, valid ${p.valid}, invalid ${p.invalid}, ` +
    `created ${p.created}, updated ${p.updated}, unchanged ${p.unchanged}, superseded ${p.superseded}, skipped ${p.skipped}, failed ${p.failed}` +
    (p.mirror ? `; ${formatMirror(p.mirror, p.campaign)}` : '')
  );
}

/** One line on a mirror sync's removal step; says how to approve when it waits. */
export function formatMirror(m: MirrorReport, campaign: string): string {
  const share = m.groupMembers > 0 ? ` (${percent(m.toRemove / m.groupMembers)})` : '';
  const base = `mirror ${m.state}: ${m.toRemove} of ${m.groupMembers} group members to remove${share}, ${percent(m.maxRemovalShare)} allowed without approval`;
  if (m.state === 'waiting')
    return (
      `${base}. WAITING FOR APPROVAL until ${m.approvalDeadline}: ` +
      `'campaign-sync sync approve ${campaign} --count ${m.toRemove}' or 'sync reject ${campaign}'`
    );
  return base + (m.approvedBy ? `, decided by ${m.approvedBy}` : '') + (m.note ? ` (${m.note})` : '');
}

/** A dry run's summary opens by saying so: what its counts mean, and what a real run would create. */
function dryRunLines(s: { dryRun: boolean; resourcesToCreate: string[] }, counts: string): string[] {
  if (!s.dryRun) return [];
  return [
    `DRY RUN: nothing was written; ${counts}.`,
    ...(s.resourcesToCreate.length > 0
      ? [`Would create in MailerLite: ${s.resourcesToCreate.join(', ')}`]
      : []),
  ];
}

export function formatSummary(s: SyncSummary): string {
  const lines = [
    ...dryRunLines(s, 'created and updated count what a real run would write'),
    `Campaign ${s.campaign} (EDD product ${s.productId}): ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  pages      ${s.pages} (in ${s.runs} run${s.runs === 1 ? '' : 's'})` +
      (s.newestOrder !== undefined ? `, every order up to ${s.newestOrder}` : ''),
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
  if (s.mode === 'mirror' && s.mirror) {
    lines.push(`  removed    ${s.removed} (${formatMirror(s.mirror, s.campaign)})`);
    if (s.dryRun && s.mirror.sample.length > 0) {
      lines.push('Would be removed from the purchase group (sample):');
      for (const m of s.mirror.sample) lines.push(`  subscriber ${m.subscriberId} <${m.email}>`);
    }
  }
  lines.push(`Per-record report: campaign-sync sync report ${s.campaign}`);
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

/** Times as local time with their age; `emphasis` marks a status that did not complete. */
export function formatStatus(s: SyncStatus, opts: { now?: Date; emphasis?: Emphasis } = {}): string {
  const when = (at: Date) => whenAndAge(at, opts.now);
  const advice = `${unpolledAdvice(s.campaign, s.taskQueue)}.`;
  const lines = runHeaderLines(`Campaign ${s.campaign}`, s, { ...opts, advice });
  if (s.progress) lines.push(`  progress   ${formatProgress(s.progress)}`);
  // Activities retrying, those alike on one line (a sync reads two pages at once, writes in lanes).
  const retrying = new Map<string, number>();
  for (const a of (s.activities ?? []).filter((a) => a.attempt > 1 || a.lastFailure)) {
    const line = formatPendingActivity(a);
    retrying.set(line, (retrying.get(line) ?? 0) + 1);
  }
  for (const [line, n] of [...retrying].slice(0, 5))
    lines.push(`  activity   ${line}${n > 1 ? ` (${n} alike)` : ''}`);
  if (s.cancellation) {
    const c = s.cancellation;
    lines.push(
      `  cancelled  ${s.status === 'CANCELLED' ? 'by request' : 'requested'}${c.by ? ` of ${c.by}` : ''}${c.at ? ` at ${when(c.at)}` : ''}` +
        `${c.reason ? `: ${c.reason}` : ''}` +
        (s.status === 'RUNNING'
          ? `; not taken effect yet${s.workerPolling === false ? ` (no worker polls ${s.taskQueue}): 'campaign-sync sync cancel ${s.campaign} --force' frees the lock` : ''}`
          : ''),
    );
  }
  if (s.termination) {
    const t = s.termination;
    lines.push(
      `  terminated ${t.by ? `by ${t.by}` : ''}${t.at ? ` at ${when(t.at)}` : ''}${t.reason ? `: ${t.reason}` : ''}`,
    );
  }
  if (s.failure) lines.push(`  failure    ${s.failure}`);
  if (s.summary) lines.push(formatSummary(s.summary));
  if (s.partial) {
    lines.push(`What it did before it stopped (recorded by the run):`);
    lines.push(formatSummary(s.partial));
  } else if (s.status === 'TERMINATED')
    lines.push(
      s.progress
        ? `Where it was when it stopped (replayed from its history): ${formatProgress(s.progress)}`
        : `What it did before it stopped is not known (no worker answered for its history).`,
    );
  return lines.join('\n');
}

/** `fetchPurchasersPage: attempt 3 of 10, next in 4s; last error: ...`. */
export function formatPendingActivity(a: PendingActivity, now = Date.now()): string {
  const of = a.maximumAttempts > 0 ? ` of ${a.maximumAttempts}` : '';
  const next =
    a.nextAttemptAt && a.nextAttemptAt.getTime() > now
      ? `, next attempt in ${Math.ceil((a.nextAttemptAt.getTime() - now) / 1000)}s`
      : a.state === 'SCHEDULED'
        ? ', waiting for a worker'
        : ', running';
  const failure = a.lastFailure
    ? `; last error${a.lastFailure.type ? ` (${a.lastFailure.type})` : ''}: ${a.lastFailure.message}`
    : '';
  return `${a.type}: attempt ${a.attempt}${of}${next}${failure}`;
}

export function formatReport(r: SyncReport): string {
  const totals = Object.entries(r.totals)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const lines = [
    `Campaign ${r.campaign}: sync ${r.status} (${r.runs.length} run${r.runs.length === 1 ? '' : 's'}, first ${r.runs[0]})`,
    `  ${totals}${r.pendingRemovals > 0 ? ` (of which ${r.pendingRemovals} removals pending an approval)` : ''}`,
  ];
  if (r.entries.length === 0) lines.push('  No records to report.');
  for (const e of r.entries) {
    const who =
      e.orderId !== undefined
        ? `order ${e.orderId}, customer ${e.customerId}`
        : `subscriber ${e.subscriberId}`;
    lines.push(
      `  ${(e.pending ? 'pending' : e.kind).padEnd(8)} ${who} <${e.email}>: ${e.reasons.join('; ')}`,
    );
  }
  return lines.join('\n');
}

export function formatLocks(locks: HeldLock[], now = new Date()): string {
  if (locks.length === 0) return 'No campaign is locked: no sync is running.';
  return [
    'Campaign locks held by running syncs (and by workflows holding a lock):',
    ...locks.flatMap((l) => [
      `  ${l.campaign}  run ${l.runId}  since ${whenAndAge(l.startedAt, now)}  by ${l.holder}` +
        (l.workflowType === 'campaignLock' ? ' (lock run)' : '') +
        (l.parentWorkflowId ? `  via ${l.parentWorkflowId}` : ''),
      ...(l.progress
        ? [
            `      progress  ${l.progress.phase}, pages ${l.progress.pages}, fetched ${l.progress.fetched}, ` +
              `created ${l.progress.created}, updated ${l.progress.updated}, unchanged ${l.progress.unchanged}, failed ${l.progress.failed}`,
          ]
        : []),
      `      released  ${l.releaseBy.at ? `by ${whenAndAge(l.releaseBy.at, now)} at the latest (${l.releaseBy.reason})` : l.releaseBy.reason}`,
    ]),
  ].join('\n');
}

export function formatTransitionProgress(p: TransitionProgress, tier?: TierProgress): string {
  const t = p.totals;
  let line =
    `[${p.source} → ${p.destination}] ${p.phase}${p.dryRun ? ' (dry run)' : ''}: tiers ${p.tiersDone}/${p.tiersTotal}, ` +
    `members ${t.members}, moved ${t.moved}, unchanged ${t.unchanged}, not eligible ${t.notEligible}, ` +
    `skipped ${t.skippedConsent}, failed ${t.failed}`;
  if (tier) {
    const c = tier.counts;
    line +=
      `; now ${tier.tier}: pages ${tier.pages}, members ${c.members}, moved ${c.moved}, unchanged ${c.unchanged}, ` +
      `not eligible ${c.notEligible}, skipped ${c.skippedConsent}, failed ${c.failed}`;
  }
  return line;
}

export function formatTransitionSummary(s: TransitionSummary): string {
  const t = s.totals;
  const r = t.notEligibleReasons;
  const lines = [
    ...dryRunLines(s, 'moved counts what a real run would move'),
    `Transition ${s.source} → ${s.destination}: ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s` +
      (s.removeFromSource ? ' (moved members leave the source groups)' : ''),
    `  members        ${t.members}`,
    `  moved          ${t.moved}`,
    `  unchanged      ${t.unchanged} (already in the destination group)`,
    `  not eligible   ${t.notEligible} (no purchase ${r.noPurchase}, order not found ${r.orderNotFound}, ` +
      `email mismatch ${r.emailMismatch}, order not a purchase ${r.orderNotAPurchase}, ` +
      `order on hold ${r.orderOnHold}: waiting, not moved)`,
    `  skipped        ${t.skippedConsent} (unsubscribed, bounced or junk: not touched)`,
    `  failed         ${t.failed}`,
    ...(s.resourcesCreated.length > 0 ? [`  created        ${s.resourcesCreated.join(', ')}`] : []),
    'By tier:',
    ...s.tiers.map((tier) =>
      tier.sourceGroupFound
        ? `  ${tier.tier.padEnd(14)} members ${tier.members}, moved ${tier.moved}, unchanged ${tier.unchanged}, ` +
          `not eligible ${tier.notEligible}, skipped ${tier.skippedConsent}, failed ${tier.failed} ` +
          `(${tier.pages} page${tier.pages === 1 ? '' : 's'}, ${tier.runs} run${tier.runs === 1 ? '' : 's'})`
        : `  ${tier.tier.padEnd(14)} no group ${tier.sourceGroup}: nothing to move`,
    ),
    'By rule (first matching rule wins):',
    ...s.rules.map(
      (rule, i) =>
        `  ${i}. ${rule.current_tier} → ${rule.next_tier}${rule.requires_purchase ? ' if purchased' : ''}: ` +
        `moved ${rule.moved}, unchanged ${rule.unchanged}, failed ${rule.failed}`,
    ),
  ];
  const list = (title: string, records: TransitionSummary['movedRecords'], omitted: number): void => {
    if (records.length === 0) return;
    lines.push(title);
    for (const rec of records)
      lines.push(`  ${rec.email} (${rec.tier}${rec.nextTier ? ` → ${rec.nextTier}` : ''}): ${rec.reason}`);
    if (omitted > 0) lines.push(`  ... and ${omitted} more`);
  };
  list(s.dryRun ? 'Would move:' : 'Moved:', s.movedRecords, s.movedRecordsOmitted);
  list('Not eligible:', s.notEligibleRecords, s.notEligibleRecordsOmitted);
  list('Not touched (consent):', s.skippedRecords, s.skippedRecordsOmitted);
  list('MailerLite refused:', s.failedRecords, s.failedRecordsOmitted);
  return lines.join('\n');
}
