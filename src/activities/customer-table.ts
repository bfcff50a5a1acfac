import type { CustomerNames } from './customer-directory';

const SEP = '\u0000';
/** A surrogate half without its other half: UTF-8 cannot hold it (it would become U+FFFD). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Many customers' names kept outside the JavaScript heap: the IDs sorted in one typed array, the
 * names as UTF-8 in one buffer. A store's whole customer list (hundreds of thousands) kept as
 * strings in a Map would add tens of megabytes to the heap that V8 marks on every full collection
 * and multiplies when it sizes the heap for the next; here it costs about 16 bytes a customer
 * plus the names' bytes, none of it on the heap. Built once with {@link CustomerTableBuilder},
 * then read only.
 */
export class CustomerTable {
  constructor(
    private readonly ids: Float64Array,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly data: Buffer,
    /** Customers whose values UTF-8 would not keep exactly (NUL, lone surrogates), kept as they are. */
    private readonly odd: ReadonlyMap<number, CustomerNames>,
  ) {}

  get size(): number {
    return this.ids.length + this.odd.size;
  }

  /** Bytes held outside the heap. */
  get bytes(): number {
    return this.ids.byteLength + this.starts.byteLength + this.ends.byteLength + this.data.byteLength;
  }

  get(id: number): CustomerNames | undefined {
    const odd = this.odd.get(id);
    if (odd) return { ...odd };
    const { ids } = this;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = ids[mid]!;
      if (at === id) {
        const [firstName = '', lastName = '', email = ''] = this.data
          .toString('utf8', this.starts[mid], this.ends[mid])
          .split(SEP);
        return { firstName, lastName, email };
      }
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

/** Collects customers in the order they are read, then sorts them into a {@link CustomerTable}. */
export class CustomerTableBuilder {
  private ids = new Float64Array(1024);
  private starts = new Uint32Array(1024);
  private ends = new Uint32Array(1024);
  private data = Buffer.allocUnsafeSlow(64 * 1024);
  private count = 0;
  private used = 0;
  private readonly odd = new Map<number, CustomerNames>();

  /** Customers added so far (one read twice counts twice until {@link build}). */
  get size(): number {
    return this.count + this.odd.size;
  }

  add(id: number, names: CustomerNames): void {
    const { firstName, lastName, email } = names;
    const text = [firstName, lastName, email].join(SEP);
    if (
      firstName.includes(SEP) ||
      lastName.includes(SEP) ||
      email.includes(SEP) ||
      LONE_SURROGATE.test(text)
    ) {
      this.odd.set(id, { firstName, lastName, email });
      return;
    }
    const most = Buffer.byteLength(text, 'utf8');
    if (this.count === this.ids.length) this.growIndex();
    if (this.used + most > this.data.length) this.growData(this.used + most);
    const written = this.data.write(text, this.used, 'utf8');
    this.ids[this.count] = id;
    this.starts[this.count] = this.used;
    this.ends[this.count] = this.used + written;
    this.count++;
    this.used += written;
  }

  /**
   * The table, sorted by ID. A customer read twice (the list shifted while it was read) is kept
   * once, as last read.
   */
  build(): CustomerTable {
    const n = this.count;
    const { ids, starts, ends } = this;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => ids[a]! - ids[b]! || a - b);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const at = order[i]!;
      if (i + 1 < n && ids[order[i + 1]!] === ids[at]) continue;
      if (this.odd.has(ids[at]!)) continue;
      order[kept++] = at;
    }
    const sortedIds = new Float64Array(kept);
    const sortedStarts = new Uint32Array(kept);
    const sortedEnds = new Uint32Array(kept);
    for (let i = 0; i < kept; i++) {
      const at = order[i]!;
      sortedIds[i] = ids[at]!;
      sortedStarts[i] = starts[at]!;
      sortedEnds[i] = ends[at]!;
    }
    // Give back the slack of the last doubling.
    const data = Buffer.allocUnsafeSlow(this.used);
    this.data.copy(data, 0, 0, this.used);
    return new CustomerTable(sortedIds, sortedStarts, sortedEnds, data, new Map(this.odd));
  }

  private growIndex(): void {
    const size = this.ids.length * 2;
    const grow = <T extends Float64Array | Uint32Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.ids = grow(this.ids, new Float64Array(size));
    this.starts = grow(this.starts, new Uint32Array(size));
    this.ends = grow(this.ends, new Uint32Array(size));
  }

  private growData(needed: number): void {
    let size = this.data.length * 2;
    while (size < needed) size *= 2;
    const data = Buffer.allocUnsafeSlow(size);
    this.data.copy(data, 0, 0, this.used);
    this.data = data;
  }
}
