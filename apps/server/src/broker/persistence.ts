import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";

const require = createRequire(import.meta.url);

/** `redis` only in clustered mode (cluster/), never by mqtt.persistence. */
export type PersistenceKind = "memory" | "level" | "redis";

/** What aedes keeps between restarts: retained messages, sessions, subscriptions, QoS 1/2 queues, wills. */
export interface BrokerPersistence {
  kind: PersistenceKind;
  /** Handed to aedes as `persistence` (undefined: aedes' in-memory default). */
  persistence: unknown;
  close(): Promise<void>;
}

/**
 * `level` (the default): aedes-persistence-level on LevelDB (classic-level, prebuilt binary) in
 * `<dataDir>/mqtt`, no server needed. A write is in LevelDB's log when aedes continues, so a
 * kill -9 of the process loses nothing aedes stored (a power cut may lose the OS's last writes).
 * `memory`: aedes' default, for tests and throwaway brokers; everything is lost on restart.
 * The clustered mode adds `redis` (aedes-persistence-redis) behind the same setting.
 */
export async function createBrokerPersistence(
  kind: PersistenceKind,
  dataDir: string,
): Promise<BrokerPersistence> {
  if (kind === "memory") return { kind, persistence: undefined, close: async () => undefined };
  const dir = join(dataDir, "mqtt");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new ClassicLevel<string, Buffer>(dir, { valueEncoding: "buffer" });
  await db.open();
  // The package's main export wraps this class in a callback API; aedes 1.x takes the promise API.
  const AsyncLevelPersistence = require("aedes-persistence-level/asyncPersistence.js") as new (
    db: unknown,
  ) => unknown;
  return {
    kind,
    persistence: new AsyncLevelPersistence(db),
    close: () => db.close(),
  };
}
