/**
 * Creates an embedded database folder (initdb) and ends. Run in a thread of its own by `db.ts`:
 * PGlite 0.4's initdb runs a second PostgreSQL instance and the initdb program beside it, and
 * the WebAssembly memory they grow to (about 500 MB) is only given back when their isolate ends.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

const { dir, database, startParams } = workerData as { dir: string; database: string; startParams: string[] };
try {
  const db = await PGlite.create(dir, { database, startParams });
  await db.close();
  parentPort?.postMessage({ ok: true });
} catch (err) {
  parentPort?.postMessage({ ok: false, message: (err as Error).message });
}
