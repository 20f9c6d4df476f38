import { randomUUID } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Batch, CountRow, LastMessageRow, PublisherDelta, ViolationRow } from "./batch.js";
import { storeError } from "./errors.js";

/**
 * On-disk queue of batches the database did not take. One JSON-lines file per batch:
 * a header line, one line per row (payloads base64), an `{"end": rows}` trailer. A file is written
 * as `*.tmp`, fsynced, then renamed, so a crash leaves either a whole file or a `*.tmp` that the
 * next start deletes. Files replay in name order (a zero-padded sequence number).
 */
export interface SpoolEntry {
  name: string;
  id: string;
  bytes: number;
  outcomes: number;
  oldestAt: number;
}

interface Header {
  v: 1;
  id: string;
  createdAt: number;
  oldestAt: number;
  outcomes: number;
}

const version = 1;
const ext = ".jsonl";
const chunkChars = 1 << 20;

export type AppendResult = { ok: true; bytes: number } | { ok: false; reason: "full"; bytes: number };

export class Spool {
  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    readonly entries: SpoolEntry[],
    private seq: number,
    public bytes: number,
    /** Files found unreadable at open, already moved aside. */
    readonly corruptAtOpen: string[],
  ) {}

  static async open(dir: string, maxBytes: number): Promise<Spool> {
    let names: string[];
    try {
      // Spool files hold payloads: readable by the server's user only.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      names = (await readdir(dir)).sort();
    } catch (err) {
      throw storeError(
        "UNS_ERR_STORE_SPOOL_DIR",
        `Cannot use spool directory ${dir}: ${(err as Error).message}`,
        err,
      );
    }
    const entries: SpoolEntry[] = [];
    const corrupt: string[] = [];
    let seq = 0;
    let bytes = 0;
    for (const name of names) {
      const path = join(dir, name);
      if (name.endsWith(".tmp")) {
        await rm(path, { force: true }); // an interrupted write: the batch was never acknowledged
        continue;
      }
      const n = Number.parseInt(name, 10);
      if (Number.isInteger(n)) seq = Math.max(seq, n);
      if (!name.endsWith(ext)) continue;
      try {
        const header = await readHeader(path);
        const size = (await stat(path)).size;
        entries.push({
          name,
          id: header.id,
          bytes: size,
          outcomes: header.outcomes,
          oldestAt: header.oldestAt,
        });
        bytes += size;
      } catch {
        await rename(path, `${path}.corrupt`).catch(() => undefined);
        corrupt.push(name);
      }
    }
    return new Spool(dir, maxBytes, entries, seq, bytes, corrupt);
  }

  get count(): number {
    return this.entries.length;
  }

  get outcomes(): number {
    let n = 0;
    for (const e of this.entries) n += e.outcomes;
    return n;
  }

  /** Append a batch durably (fsync), unless it would take the spool over its size limit. */
  async append(batch: Batch): Promise<AppendResult> {
    const chunks = serializeBatch(batch);
    let size = 0;
    for (const c of chunks) size += Buffer.byteLength(c);
    if (this.bytes + size > this.maxBytes) return { ok: false, reason: "full", bytes: size };
    const name = `${String(++this.seq).padStart(12, "0")}-${batch.id}${ext}`;
    await writeDurably(this.dir, name, chunks);
    this.entries.push({
      name,
      id: batch.id,
      bytes: size,
      outcomes: batch.outcomes,
      oldestAt: batch.oldestAt,
    });
    this.bytes += size;
    return { ok: true, bytes: size };
  }

  async read(entry: SpoolEntry): Promise<Batch> {
    return parseBatch(await readFile(join(this.dir, entry.name), "utf8"));
  }

  /** Delete a replayed file. */
  async remove(entry: SpoolEntry): Promise<void> {
    await rm(join(this.dir, entry.name), { force: true });
    this.forget(entry);
  }

  /** Move a file aside (`<name>.<suffix>`): it is no longer replayed nor counted. */
  async setAside(entry: SpoolEntry, suffix: "corrupt" | "rejected"): Promise<void> {
    const path = join(this.dir, entry.name);
    await rename(path, `${path}.${suffix}`).catch(() => rm(path, { force: true }));
    this.forget(entry);
  }

  /** Write a batch that is not to be replayed (rejected by the database) for inspection. */
  async writeAside(batch: Batch, suffix: "rejected"): Promise<string> {
    const name = `${String(++this.seq).padStart(12, "0")}-${batch.id}${ext}.${suffix}`;
    await writeDurably(this.dir, name, serializeBatch(batch));
    return name;
  }

  private forget(entry: SpoolEntry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) {
      this.entries.splice(i, 1);
      this.bytes -= entry.bytes;
    }
  }
}

async function writeDurably(dir: string, name: string, chunks: string[]): Promise<void> {
  const tmp = join(dir, `${name}.${randomUUID().slice(0, 8)}.tmp`);
  const fh = await open(tmp, "w", 0o600);
  try {
    for (const c of chunks) await fh.write(c);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, join(dir, name));
  // Make the rename itself durable.
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

const b64 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("base64");
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

/** A batch as JSON lines (header, rows, `{"end": rows}` trailer); shared with the outcome log. */
export function serializeBatch(batch: Batch): string[] {
  const header: Header = {
    v: version,
    id: batch.id,
    createdAt: batch.createdAt,
    oldestAt: batch.oldestAt,
    outcomes: batch.outcomes,
  };
  const chunks: string[] = [];
  let cur = `${JSON.stringify(header)}\n`;
  let rows = 0;
  const push = (line: string) => {
    rows++;
    cur += `${line}\n`;
    if (cur.length >= chunkChars) {
      chunks.push(cur);
      cur = "";
    }
  };
  for (const c of batch.counts) push(JSON.stringify({ c }));
  for (const v of batch.violations) push(JSON.stringify({ v: { ...v, payload: b64(v.payload) } }));
  for (const l of batch.lastMessages) push(JSON.stringify({ l: { ...l, payload: b64(l.payload) } }));
  for (const p of batch.publishers) push(JSON.stringify({ p }));
  cur += `${JSON.stringify({ end: rows })}\n`;
  chunks.push(cur);
  return chunks;
}

/** The inverse of {@link serializeBatch}; throws on a truncated or unknown text. */
export function parseBatch(text: string): Batch {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const header = JSON.parse(lines[0] ?? "") as Header;
  if (header.v !== version || typeof header.id !== "string") throw new Error("spool: unknown header");
  const trailer = JSON.parse(lines.at(-1) ?? "") as { end?: number };
  if (trailer.end !== lines.length - 2) throw new Error("spool: truncated file");
  const batch: Batch = {
    id: header.id,
    createdAt: header.createdAt,
    oldestAt: header.oldestAt,
    outcomes: header.outcomes,
    counts: [],
    violations: [],
    lastMessages: [],
    publishers: [],
  };
  for (let i = 1; i < lines.length - 1; i++) {
    const row = JSON.parse(lines[i] as string) as {
      c?: CountRow;
      v?: ViolationRow & { payload: string };
      l?: LastMessageRow & { payload: string };
      p?: PublisherDelta;
    };
    if (row.c) batch.counts.push(row.c);
    else if (row.v) batch.violations.push({ ...row.v, payload: unb64(row.v.payload) });
    else if (row.l) batch.lastMessages.push({ ...row.l, payload: unb64(row.l.payload) });
    else if (row.p) batch.publishers.push(row.p);
    else throw new Error(`spool: unknown row on line ${i + 1}`);
  }
  return batch;
}

async function readHeader(path: string): Promise<Header> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString("utf8");
    const nl = text.indexOf("\n");
    if (nl < 0) throw new Error("spool: no header line");
    const header = JSON.parse(text.slice(0, nl)) as Header;
    if (header.v !== version || typeof header.id !== "string") throw new Error("spool: unknown header");
    return header;
  } finally {
    await fh.close();
  }
}
