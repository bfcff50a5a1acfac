import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EddSale } from '../providers';
import type { SalesWindow } from '../shared/sales-seams';

/** A pass's spool nobody has touched for this long is deleted when another pass begins. */
const STALE_AFTER_MS = 6 * 3_600_000;

/**
 * One pass over EDD's sales list shared by several campaign syncs (`sync all`): the first sync to
 * read a window of the list (a page, or a seam) keeps it on this worker's disk, and the others read
 * it from there instead of from EDD, so the store is read once whatever the number of campaigns.
 *
 * The pages are a snapshot of the list as the first reader saw it, exactly as one sync reading the
 * store at that moment would have; a page whose seam does not meet it is read again from EDD (and
 * the spool updated). The spool lives in the OS temporary directory, one directory a pass, outside
 * the heap (a store of 200,000 sales is about 200 MB of JSON): it is deleted when the pass ends
 * (`endStorePass`, on the worker that runs it) or, on other workers, when it has not been used for
 * six hours and another pass begins. A window another worker read is read again here: each worker
 * reads the store at most once a pass.
 */
export class StorePassSpool {
  private readonly inFlight = new Map<string, Promise<EddSale[]>>();
  private readonly known = new Set<string>();

  constructor(private readonly root = join(tmpdir(), 'campaign-sync-store-pass')) {}

  /** The window of the pass: from the spool, or read with `read` (once, however many ask at once). */
  async window(pass: string, window: SalesWindow, read: () => Promise<EddSale[]>): Promise<EddSale[]> {
    const dir = await this.dirOf(pass);
    const file = join(dir, `${window.page}x${window.number}.json`);
    const pending = this.inFlight.get(file);
    if (pending) return pending;
    const loading = this.readOrFetch(file, read).finally(() => this.inFlight.delete(file));
    this.inFlight.set(file, loading);
    return loading;
  }

  /** Reads the window from EDD again and keeps that answer in the pass (a page whose seam did not meet it). */
  async refresh(pass: string, window: SalesWindow, read: () => Promise<EddSale[]>): Promise<EddSale[]> {
    const dir = await this.dirOf(pass);
    const sales = await read();
    await this.keep(join(dir, `${window.page}x${window.number}.json`), sales);
    return sales;
  }

  /** Deletes the pass's spool on this worker. */
  async end(pass: string): Promise<void> {
    const dir = join(this.root, passKey(pass));
    this.known.delete(dir);
    await rm(dir, { recursive: true, force: true });
  }

  private async readOrFetch(file: string, read: () => Promise<EddSale[]>): Promise<EddSale[]> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as EddSale[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const sales = await read();
    await this.keep(file, sales);
    return sales;
  }

  /** Writes a window whole or not at all (a reader never sees half a file). */
  private async keep(file: string, sales: EddSale[]): Promise<void> {
    const partial = `${file}.${process.pid}.${Date.now()}.part`;
    await writeFile(partial, JSON.stringify(sales));
    await rename(partial, file);
  }

  private async dirOf(pass: string): Promise<string> {
    const dir = join(this.root, passKey(pass));
    if (!this.known.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.known.add(dir);
      await this.removeStale(dir);
    }
    return dir;
  }

  private async removeStale(keep: string): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      const dir = join(this.root, name);
      if (dir === keep) continue;
      const info = await stat(dir).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_AFTER_MS) await rm(dir, { recursive: true, force: true });
    }
  }
}

/** A pass's directory name: its ID hashed (the ID holds `/` and `:`). */
function passKey(pass: string): string {
  return createHash('sha256').update(pass).digest('hex').slice(0, 32);
}
