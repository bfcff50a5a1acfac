import { createHash, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EddSale } from '../providers';
import type { SalesWindow } from '../shared/sales-seams';

/** What a spool's directories start with, in the OS temporary directory (one a worker process). */
const PREFIX = 'campaign-sync-pass-';

/** A pass nobody has read for this long is deleted when another pass begins or ends on the worker. */
const PASS_IDLE_MS = 3_600_000;

/** A directory a crashed worker process left behind is deleted by the next one after this long. */
const ORPHAN_AFTER_MS = 6 * 3_600_000;

/**
 * One pass over EDD's sales list shared by several campaign syncs (`sync all`): the first sync to
 * read a window of the list (a page, or a seam) keeps it on this worker's disk, and the others read
 * it from there instead of from EDD, so the store is read once whatever the number of campaigns.
 *
 * The pages are a snapshot of the list as the first reader saw it, exactly as one sync reading the
 * store at that moment would have; a page whose seam does not meet it is read from EDD again (and
 * the spool updated). They hold buyers' emails, so the spool is private to the worker process: a
 * directory of its own made by `mkdtemp` (mode 0700, files 0600) in the OS temporary directory,
 * deleted when the process exits; a pass's windows are deleted when the pass ends
 * (`endStorePass`), or when it has not been read for an hour and another pass begins or ends.
 * Outside the heap: a store of 200,000 sales is about 200 MB of JSON. The spool only saves reads:
 * a window it cannot read or write is read from EDD.
 */
export class StorePassSpool {
  private root: Promise<string> | undefined;
  private readonly inFlight = new Map<string, Promise<EddSale[]>>();
  /** Pass directories made, and when each was last read. */
  private readonly passes = new Map<string, number>();
  private readonly ended = new Set<string>();

  constructor(private readonly parent = tmpdir()) {}

  /** The window of the pass: from the spool, or read with `read` (once, however many ask at once). */
  window(pass: string, window: SalesWindow, read: () => Promise<EddSale[]>): Promise<EddSale[]> {
    return this.once(pass, window, read, false);
  }

  /** Reads the window from EDD again and keeps that answer in the pass (a page whose seam did not meet it). */
  refresh(pass: string, window: SalesWindow, read: () => Promise<EddSale[]>): Promise<EddSale[]> {
    return this.once(pass, window, read, true);
  }

  /** Deletes the pass's windows on this worker; later reads of it go to EDD. */
  async end(pass: string): Promise<void> {
    this.ended.add(pass);
    this.passes.delete(pass);
    const root = await this.rootDir().catch(() => undefined);
    if (root) await rm(join(root, passKey(pass)), { recursive: true, force: true });
    await this.removeIdle();
  }

  private once(
    pass: string,
    window: SalesWindow,
    read: () => Promise<EddSale[]>,
    fresh: boolean,
  ): Promise<EddSale[]> {
    if (this.ended.has(pass)) return read();
    const key = `${pass}\n${window.page}x${window.number}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const loading = this.load(pass, window, read, fresh).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, loading);
    return loading;
  }

  private async load(
    pass: string,
    window: SalesWindow,
    read: () => Promise<EddSale[]>,
    fresh: boolean,
  ): Promise<EddSale[]> {
    const file = await this.fileOf(pass, window).catch(() => undefined);
    if (!file) return read();
    if (!fresh) {
      const kept = await readFile(file, 'utf8').then(
        (text) => JSON.parse(text) as EddSale[],
        () => undefined,
      );
      if (Array.isArray(kept)) return kept;
    }
    const sales = await read();
    await this.keep(file, sales).catch(() => undefined);
    return sales;
  }

  /** Writes a window whole or not at all (a reader never sees half a file). */
  private async keep(file: string, sales: EddSale[]): Promise<void> {
    const partial = `${file}.${randomUUID()}.part`;
    await writeFile(partial, JSON.stringify(sales), { mode: 0o600 });
    await rename(partial, file);
  }

  private async fileOf(pass: string, window: SalesWindow): Promise<string> {
    const dir = join(await this.rootDir(), passKey(pass));
    if (!this.passes.has(pass)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await this.removeIdle();
    }
    this.passes.set(pass, Date.now());
    return join(dir, `${window.page}x${window.number}.json`);
  }

  /** This process's own directory, made at first use and deleted at exit. */
  private rootDir(): Promise<string> {
    this.root ??= (async () => {
      await removeOrphans(this.parent);
      const dir = await mkdtemp(join(this.parent, PREFIX));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      return dir;
    })();
    return this.root;
  }

  private async removeIdle(): Promise<void> {
    const root = await this.rootDir();
    const now = Date.now();
    for (const [pass, lastRead] of this.passes) {
      if (now - lastRead < PASS_IDLE_MS) continue;
      this.passes.delete(pass);
      await rm(join(root, passKey(pass)), { recursive: true, force: true });
    }
  }
}

/** Spools of worker processes that ended without deleting theirs: only this user's real directories. */
async function removeOrphans(parent: string): Promise<void> {
  const now = Date.now();
  const uid = process.getuid?.();
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const path = join(parent, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
    if (now - info.mtimeMs > ORPHAN_AFTER_MS)
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A pass's directory name: its ID hashed (the ID holds `:`). */
function passKey(pass: string): string {
  return createHash('sha256').update(pass).digest('hex').slice(0, 32);
}
