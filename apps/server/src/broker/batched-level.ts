import type { ClassicLevel } from "classic-level";

/** The part of a ClassicLevel database that aedes-persistence-level calls. */
export type LevelDb = Pick<ClassicLevel<string, Buffer>, "get" | "batch" | "clear" | "values" | "close">;

export interface KeyRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
}

type WriteOp = { type: "put"; key: string; value: Buffer } | { type: "del"; key: string };

/** What the database will hold for a key once every queued step is written. */
interface CacheEntry {
  /** undefined: deleted. */
  value: Buffer | undefined;
  /** Queued or running steps that write this key; the entry may be evicted only at 0. */
  unwritten: number;
}

interface Step {
  /** One db.batch() of every write queued in one turn of the event loop, or one db.clear(). */
  ops: WriteOp[];
  clear?: KeyRange;
  /** The cache entries this step writes (one per op, or per cleared key), to mark them written after. */
  entries: [string, CacheEntry][];
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Recently written keys stay readable from memory, up to this many entries and value bytes
 * (written ones are evicted oldest first; one whose write is queued stays until it is written):
 * aedes reads back the queued message it stored a moment before when it sends it and again when
 * the PUBACK comes, and those reads were a third of the server's main thread at 1,500 QoS 1
 * messages/s (issue 10). A delivered and acknowledged message leaves the cache (its keys are
 * deleted), so what stays is mostly the queues of offline sessions and retained messages.
 */
const DEFAULT_CACHE_ENTRIES = 20_000;
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * A ClassicLevel database for aedes-persistence-level that makes one LevelDB call per turn of the
 * event loop instead of one per put, get and del (issue 10: those calls saturated the server's
 * main thread at ~1,500 QoS 1 messages/s to one persistent session).
 *
 * - Writes are queued and written together by one `db.batch()`, one batch at a time and in the
 *   order they were asked for. Each write's promise resolves only when its batch is in LevelDB's
 *   log, as with a plain `put`, so what aedes awaited (a queued session message, a retained
 *   message, a subscription, a will) survives a kill -9 (docs/design.md).
 * - A read answers what the last write of the key left, written or still queued, from memory;
 *   keys not written recently are read from LevelDB.
 * - `clear()` and the iterators (`values()`) first wait for every write asked for before them.
 */
export class BatchedLevel {
  readonly #db: LevelDb;
  readonly #cacheEntries: number;
  readonly #cacheBytes: number;
  readonly #cache = new Map<string, CacheEntry>();
  /** The bytes of the values in #cache. */
  #cachedBytes = 0;
  /** Steps not yet written, oldest first; the last one takes new writes until it starts. */
  readonly #queue: Step[] = [];
  #running = false;
  #lastStep: Promise<void> = Promise.resolve();
  /** Ranges of clear() calls not yet done: a key in one that is not in #cache reads as deleted. */
  readonly #clearing = new Set<KeyRange>();

  constructor(db: LevelDb, options: { cacheEntries?: number; cacheBytes?: number } = {}) {
    this.#db = db;
    this.#cacheEntries = options.cacheEntries ?? DEFAULT_CACHE_ENTRIES;
    this.#cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  }

  async get(key: string, options?: object): Promise<Buffer | undefined> {
    const entry = this.#cache.get(key);
    if (entry) return entry.value;
    for (const range of this.#clearing) if (inRange(key, range)) return undefined;
    return options ? this.#db.get(key, options) : this.#db.get(key);
  }

  put(key: string, value: Buffer, _options?: object): Promise<void> {
    return this.#write([{ type: "put", key, value }]);
  }

  del(key: string, _options?: object): Promise<void> {
    return this.#write([{ type: "del", key }]);
  }

  batch(ops: WriteOp[], options?: object): Promise<void>;
  batch(): ChainedBatch;
  batch(ops?: WriteOp[], _options?: object): Promise<void> | ChainedBatch {
    if (ops === undefined) return new ChainedBatch((queued) => this.#write(queued));
    return this.#write(ops);
  }

  /** Deletes the range after every write asked for before; keys in it read as deleted at once. */
  clear(range: KeyRange): Promise<void> {
    const step = this.#newStep();
    step.clear = range;
    this.#clearing.add(range);
    for (const [key, entry] of this.#cache)
      if (inRange(key, range)) {
        this.#setValue(entry, undefined);
        entry.unwritten++;
        step.entries.push([key, entry]);
      }
    // A write asked for after this clear goes in a new step (#write never joins a clear).
    return step.done;
  }

  /** The values of a range as LevelDB holds them once every write asked for before is written. */
  async *values(options: KeyRange & Record<string, unknown>): AsyncGenerator<Buffer> {
    await this.#lastStep.catch(() => undefined);
    yield* this.#db.values(options as never) as AsyncIterable<Buffer>;
  }

  async close(): Promise<void> {
    await this.#lastStep.catch(() => undefined);
    await this.#db.close();
  }

  #write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return Promise.resolve();
    for (const op of ops)
      if (op.type !== "put" && op.type !== "del")
        throw new TypeError(
          `batch operation type "${String((op as { type: unknown }).type)}": expected "put" or "del"`,
        );
    const open = this.#queue.at(-1);
    const step = open && open.clear === undefined ? open : this.#newStep();
    for (const op of ops) {
      let entry = this.#cache.get(op.key);
      // Delete and set again: the most recently written keys are the last to be evicted.
      if (entry) this.#cache.delete(op.key);
      else entry = { value: undefined, unwritten: 0 };
      this.#cache.set(op.key, entry);
      this.#setValue(entry, op.type === "put" ? op.value : undefined);
      entry.unwritten++;
      step.ops.push(
        op.type === "put" ? { type: "put", key: op.key, value: op.value } : { type: "del", key: op.key },
      );
      step.entries.push([op.key, entry]);
    }
    return step.done;
  }

  #newStep(): Step {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may await a step (a put whose caller went away): its failure is reported to the
    // callers that do, never as an unhandled rejection.
    done.catch(() => undefined);
    const step: Step = { ops: [], entries: [], done, resolve, reject };
    this.#queue.push(step);
    this.#lastStep = done;
    this.#schedule();
    return step;
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = true;
    // setImmediate, not a microtask: the writes of every packet read in this turn of the
    // event loop (and the continuations they resolve) go into one batch.
    setImmediate(() => void this.#runNext());
  }

  async #runNext(): Promise<void> {
    const step = this.#queue.shift();
    if (!step) {
      this.#running = false;
      return;
    }
    let failure: unknown;
    let failed = false;
    try {
      if (step.clear) await this.#db.clear(step.clear);
      else if (step.ops.length > 0) await this.#db.batch(step.ops);
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (step.clear) this.#clearing.delete(step.clear);
    this.#written(step, failed);
    if (failed) step.reject(failure);
    else step.resolve();
    if (this.#queue.length === 0) {
      this.#running = false;
      return;
    }
    // The next batch after the callers of this one ran: their next writes join it.
    setImmediate(() => void this.#runNext());
  }

  #written(step: Step, failed: boolean): void {
    for (const [key, entry] of step.entries) {
      entry.unwritten--;
      // A deleted key, or one whose write failed, is read from LevelDB again.
      if (entry.unwritten === 0 && (failed || entry.value === undefined) && this.#cache.get(key) === entry)
        this.#evict(key, entry);
    }
    const over = () => this.#cache.size > this.#cacheEntries || this.#cachedBytes > this.#cacheBytes;
    if (!over()) return;
    for (const [key, entry] of this.#cache) {
      if (!over()) break;
      if (entry.unwritten === 0) this.#evict(key, entry);
    }
  }

  #setValue(entry: CacheEntry, value: Buffer | undefined): void {
    this.#cachedBytes += (value?.length ?? 0) - (entry.value?.length ?? 0);
    entry.value = value;
  }

  #evict(key: string, entry: CacheEntry): void {
    this.#cachedBytes -= entry.value?.length ?? 0;
    this.#cache.delete(key);
  }
}

/** `db.batch()` without arguments: operations collected, then written together by `write()`. */
export class ChainedBatch {
  readonly #ops: WriteOp[] = [];
  readonly #write: (ops: WriteOp[]) => Promise<void>;

  constructor(write: (ops: WriteOp[]) => Promise<void>) {
    this.#write = write;
  }

  get length(): number {
    return this.#ops.length;
  }

  put(key: string, value: Buffer): this {
    this.#ops.push({ type: "put", key, value });
    return this;
  }

  del(key: string): this {
    this.#ops.push({ type: "del", key });
    return this;
  }

  write(): Promise<void> {
    return this.#write(this.#ops.splice(0));
  }
}

/**
 * LevelDB compares keys as UTF-8 bytes, which is code point order, not the UTF-16 code unit order
 * of `<` on strings: they differ only where a surrogate (U+D800-DFFF, half of a code point above
 * U+FFFF) meets a unit in U+E000-FFFF, which code point order puts first. clear() runs this for
 * every cached key on every clean-session CONNECT, so it compares in place, without the two
 * Buffers per key it once made (a quarter of the bytes a connection storm allocated).
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit's place in code point order: surrogates after U+E000-FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

function inRange(key: string, range: KeyRange): boolean {
  if (range.gt !== undefined && compareUtf8(key, range.gt) <= 0) return false;
  if (range.gte !== undefined && compareUtf8(key, range.gte) < 0) return false;
  if (range.lt !== undefined && compareUtf8(key, range.lt) >= 0) return false;
  if (range.lte !== undefined && compareUtf8(key, range.lte) > 0) return false;
  return true;
}
