import { chmod, type FileHandle, mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Batch } from "./batch.js";
import { errorMessage } from "./errors.js";
import { parseBatch, type Spool, serializeBatch } from "./spool.js";
import type { StoreLogger } from "./types.js";

/**
 * Write-ahead log of result batches, so that a kill -9 loses at most the results of the last
 * durability window (`store.flushIntervalMs`) instead of everything not yet in the database.
 *
 * Each batch cut on the broker's thread is appended here and fsynced (group commit: the batches
 * that arrive during one fsync share the next) before it is handed to the database writer. Once the batch
 * is in the database or in the spool it is "settled"; a segment file whose batches are all
 * settled is deleted. At start, whatever a crash left is moved to the spool, which replays it
 * through the batch id (`applied_batches`): a batch already written is not written again, so
 * each is applied exactly once.
 *
 * Record: `{"log":1,"id":<batch id>,"bytes":N}\n` followed by N bytes of the spool's JSON-lines
 * form of the batch. A torn record at the end of a segment (a crash during the write, never
 * acknowledged as durable) is ignored.
 */
const ext = ".log";
/** A segment is closed past this size even if some of its batches are not settled yet. */
const segmentMaxBytes = 16 * 1024 * 1024;

interface Segment {
  name: string;
  fh: FileHandle | null;
  bytes: number;
  unsettled: Set<string>;
}

interface PendingAppend {
  id: string;
  text: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class OutcomeLog {
  private current: Segment | null = null;
  private readonly closedSegments: Segment[] = [];
  private pending: PendingAppend[] = [];
  private writing = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    private seq: number,
  ) {}

  /**
   * Move what an earlier run left in `dir` into the spool (it replays exactly once, by batch id).
   * Runs where the spool lives (the store's thread), before the writer is created.
   */
  static async recover(
    dir: string,
    spool: Spool,
    logger: StoreLogger,
  ): Promise<{ recoveredBatches: number; recoveredOutcomes: number }> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const names = (await readdir(dir)).filter((n) => n.endsWith(ext)).sort();
    let batches = 0;
    let outcomes = 0;
    for (const name of names) {
      const path = join(dir, name);
      for (const batch of readSegment(await readFile(path))) {
        const r = await spool.append(batch);
        if (!r.ok) {
          logger.error(
            { code: "UNS_ERR_STORE_SPOOL_FULL", outcomes: batch.outcomes, file: name },
            "store: spool full, a batch recovered from the outcome log is DROPPED",
          );
          continue;
        }
        batches++;
        outcomes += batch.outcomes;
      }
      await rm(path, { force: true });
    }
    if (batches > 0)
      logger.warn(
        { batches, outcomes },
        "store: results recovered from the outcome log after an unclean stop (replayed once)",
      );
    return { recoveredBatches: batches, recoveredOutcomes: outcomes };
  }

  /**
   * The writer, on an empty (recovered) folder. It runs on the broker's thread: writes and fsyncs
   * go to libuv's thread pool, so a busy or low-priority database thread never delays them.
   */
  static async create(dir: string): Promise<OutcomeLog> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    let seq = 0;
    for (const n of await readdir(dir)) seq = Math.max(seq, Number.parseInt(n, 10) || 0);
    return new OutcomeLog(dir, seq);
  }

  /** recover + create, for one-thread use (tests). */
  static async open(
    dir: string,
    spool: Spool,
    logger: StoreLogger,
  ): Promise<{ log: OutcomeLog; recoveredBatches: number; recoveredOutcomes: number }> {
    const r = await OutcomeLog.recover(dir, spool, logger);
    return { log: await OutcomeLog.create(dir), ...r };
  }

  /** Resolves once `batch` is on disk (fsynced). Appends made during an fsync share the next one. */
  append(batch: Batch): Promise<void> {
    if (this.closed) return Promise.reject(new Error("outcome log closed"));
    const body = serializeBatch(batch).join("");
    const text = `${JSON.stringify({ log: 1, id: batch.id, bytes: Buffer.byteLength(body) })}\n${body}`;
    return new Promise((resolve, reject) => {
      this.pending.push({ id: batch.id, text, resolve, reject });
      if (!this.writing) void this.pump();
    });
  }

  /** The batch is in the database or the spool: the log no longer needs it. */
  settle(id: string): void {
    const cur = this.current;
    if (cur?.unsettled.delete(id)) {
      // Everything written so far is settled: start over with an empty segment.
      if (cur.unsettled.size === 0 && !this.writing) void this.retire(cur);
      return;
    }
    for (const s of this.closedSegments) {
      if (s.unsettled.delete(id)) {
        if (s.unsettled.size === 0) {
          this.closedSegments.splice(this.closedSegments.indexOf(s), 1);
          void rm(join(this.dir, s.name), { force: true });
        }
        return;
      }
    }
  }

  /** Bytes on disk (for health). */
  get bytes(): number {
    let n = this.current?.bytes ?? 0;
    for (const s of this.closedSegments) n += s.bytes;
    return n;
  }

  /** Close the file; segments with unsettled batches stay for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    const cur = this.current;
    this.current = null;
    if (cur) {
      await cur.fh?.close().catch(() => undefined);
      if (cur.unsettled.size === 0) await rm(join(this.dir, cur.name), { force: true });
    }
  }

  private async pump(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        try {
          const seg = await this.segment();
          const text = group.map((g) => g.text).join("");
          await seg.fh!.write(text);
          await seg.fh!.datasync();
          seg.bytes += Buffer.byteLength(text);
          for (const g of group) seg.unsettled.add(g.id);
          for (const g of group) g.resolve();
          if (seg.bytes >= segmentMaxBytes) await this.rotate(seg);
        } catch (err) {
          const e = new Error(`outcome log write failed: ${errorMessage(err)}`);
          for (const g of group) g.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
    const cur = this.current;
    if (cur && cur.bytes > 0 && cur.unsettled.size === 0) await this.retire(cur);
  }

  private async segment(): Promise<Segment> {
    if (this.current) return this.current;
    const name = `${String(++this.seq).padStart(12, "0")}${ext}`;
    const fh = await open(join(this.dir, name), "a", 0o600);
    // The new file's directory entry must be durable too, or an fsynced record could vanish.
    const d = await open(this.dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    this.current = { name, fh, bytes: 0, unsettled: new Set() };
    return this.current;
  }

  private async rotate(seg: Segment): Promise<void> {
    if (this.current === seg) this.current = null;
    await seg.fh?.close();
    seg.fh = null;
    if (seg.unsettled.size === 0) await rm(join(this.dir, seg.name), { force: true });
    else this.closedSegments.push(seg);
  }

  /** A segment whose batches are all settled is deleted; the next append opens a new one. */
  private async retire(seg: Segment): Promise<void> {
    if (this.current !== seg || this.writing) return;
    this.current = null;
    await seg.fh?.close().catch(() => undefined);
    await rm(join(this.dir, seg.name), { force: true });
  }
}

/** The whole records of a segment; stops at a torn or unreadable one. */
export function readSegment(buf: Buffer): Batch[] {
  const out: Batch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    let head: { log?: number; bytes?: number };
    try {
      head = JSON.parse(buf.subarray(pos, nl).toString("utf8"));
    } catch {
      break;
    }
    if (head.log !== 1 || typeof head.bytes !== "number") break;
    const end = nl + 1 + head.bytes;
    if (end > buf.length) break;
    try {
      out.push(parseBatch(buf.subarray(nl + 1, end).toString("utf8")));
    } catch {
      break;
    }
    pos = end;
  }
  return out;
}
