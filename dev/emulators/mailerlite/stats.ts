import { FaultStats } from '../shared/faults';
import { RequestCounter } from '../shared/request-counter';

/** What `/_admin/stats` reports, so tests can assert how a client used the API. */
export class MailerLiteStats {
  /** HTTP requests by `METHOD /route/pattern` and status (a batch is one `POST /api/batch`). */
  readonly requests = new RequestCounter();
  /** Requests executed inside batches, by route and status. */
  readonly batchItems = new RequestCounter();
  /** Injected faults. A faulted request is not handled, so it is in no other counter (except `appliedThenFailed`). */
  readonly faults = new FaultStats();
  private readonly writes = new Map<string, number>();
  rateLimited = 0;
  importRateLimited = 0;
  imports = 0;

  /** Counts a successful write (2xx POST/PUT/PATCH/DELETE), direct or inside a batch. */
  recordWrite(label: string): void {
    this.writes.set(label, (this.writes.get(label) ?? 0) + 1);
  }

  reset(): void {
    this.requests.reset();
    this.batchItems.reset();
    this.writes.clear();
    this.faults.reset();
    this.rateLimited = 0;
    this.importRateLimited = 0;
    this.imports = 0;
  }

  toJSON(): unknown {
    const byRoute = Object.fromEntries([...this.writes].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...this.writes.values()].reduce((sum, n) => sum + n, 0);
    return {
      requests: this.requests.toJSON(),
      batchItems: this.batchItems.toJSON(),
      writes: { total, byRoute },
      rateLimited: this.rateLimited,
      importRateLimited: this.importRateLimited,
      imports: this.imports,
      faults: this.faults.toJSON(),
    };
  }
}
