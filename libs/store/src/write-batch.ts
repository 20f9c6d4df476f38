import type { Batch } from "./batch.js";
import type { Db, Exec } from "./db.js";

/** Rows per multi-row statement: well below PostgreSQL's 65 535 bind parameters. */
const chunkRows = 1000;

function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += chunkRows) yield rows.slice(i, i + chunkRows);
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/**
 * `insert into <table> (<cols>) values (...), (...)` for `rows`, each row given as its values in
 * column order; `casts[i]` types the i-th column's parameters (so both drivers bind the same way).
 */
async function insert(
  exec: Exec,
  head: string,
  casts: string[],
  rows: unknown[][],
  tail = "",
): Promise<Record<string, unknown>[]> {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const row of rows) {
    const slots = row.map((v, i) => {
      params.push(v);
      return `$${params.length}${casts[i] ?? ""}`;
    });
    tuples.push(`(${slots.join(",")})`);
  }
  return (await exec(`${head} values ${tuples.join(",")} ${tail}`, params)).rows;
}

/**
 * Write one batch in one transaction. Returns false when the batch id was already applied (a
 * retry after a commit whose answer was lost, or a spool file replayed twice): nothing is added.
 * Every statement is order-insensitive (counts add, last message and publisher fields keep the
 * newest), so replaying old spooled batches after newer ones gives the same result.
 */
export async function writeBatch(db: Db, batch: Batch): Promise<boolean> {
  return db.transaction(async (exec) => {
    const ids = batch.mergedIds ?? [batch.id];
    const fresh = await insert(
      exec,
      "insert into applied_batches (batch_id)",
      ["::uuid"],
      ids.map((id) => [id]),
      "on conflict do nothing returning batch_id",
    );
    if (fresh.length === 0) return false;
    // A merged batch is all or nothing: some of its parts already applied means they must be
    // written one by one (the caller does that on this error; the transaction rolls back).
    if (fresh.length !== ids.length)
      throw new Error(`merged batch: ${ids.length - fresh.length} of ${ids.length} already applied`);

    for (const rows of chunks(batch.counts)) {
      await insert(
        exec,
        "insert into message_counts (minute, topic, channel, client_id, valid, invalid, unvalidated, ungoverned)",
        ["::timestamptz", "::text", "::text", "::text", "::int8", "::int8", "::int8", "::int8"],
        rows.map((r) => [
          iso(r.minute),
          r.topic,
          r.channel,
          r.clientId,
          r.valid,
          r.invalid,
          r.unvalidated,
          r.ungoverned,
        ]),
        `on conflict (minute, topic, channel, client_id) do update set
          valid = message_counts.valid + excluded.valid,
          invalid = message_counts.invalid + excluded.invalid,
          unvalidated = message_counts.unvalidated + excluded.unvalidated,
          ungoverned = message_counts.ungoverned + excluded.ungoverned`,
      );
    }

    for (const rows of chunks(batch.violations)) {
      await insert(
        exec,
        `insert into violations (time, client_id, username, topic, channel, contract_file, contract_version,
          message_name, kind, policy, errors, payload, payload_size, payload_truncated)`,
        [
          "::timestamptz",
          "::text",
          "::text",
          "::text",
          "::text",
          "::text",
          "::text",
          "::text",
          "::text",
          "::text",
          "::jsonb",
          "::bytea",
          "::int4",
          "::bool",
        ],
        rows.map((r) => [
          iso(r.time),
          r.clientId,
          r.username,
          r.topic,
          r.channel,
          r.contractFile,
          r.contractVersion,
          r.messageName,
          r.kind,
          r.policy,
          JSON.stringify(r.errors),
          r.payload,
          r.payloadSize,
          r.payloadTruncated,
        ]),
      );
    }

    for (const rows of chunks(batch.publishers)) {
      await insert(
        exec,
        `insert into publishers (client_id, username, messages, invalid, first_violation, last_violation,
          last_seen, channels)`,
        [
          "::text",
          "::text",
          "::int8",
          "::int8",
          "::timestamptz",
          "::timestamptz",
          "::timestamptz",
          "::text[]",
        ],
        rows.map((r) => [
          r.clientId,
          r.username,
          r.messages,
          r.invalid,
          isoOrNull(r.firstViolation),
          isoOrNull(r.lastViolation),
          iso(r.lastSeen),
          r.channels,
        ]),
        // least/greatest ignore nulls
        `on conflict (client_id) do update set
          username = case when excluded.last_seen >= publishers.last_seen then excluded.username
            else publishers.username end,
          messages = publishers.messages + excluded.messages,
          invalid = publishers.invalid + excluded.invalid,
          first_violation = least(publishers.first_violation, excluded.first_violation),
          last_violation = greatest(publishers.last_violation, excluded.last_violation),
          last_seen = greatest(publishers.last_seen, excluded.last_seen),
          channels = case when cardinality(excluded.channels) = 0 then publishers.channels
            else array(select distinct c from unnest(publishers.channels || excluded.channels) as c order by c) end`,
      );
    }

    for (const rows of chunks(batch.lastMessages)) {
      await insert(
        exec,
        "insert into last_messages (topic, time, client_id, payload, payload_size, outcome, channel)",
        ["::text", "::timestamptz", "::text", "::bytea", "::int4", "::text", "::text"],
        rows.map((r) => [r.topic, iso(r.time), r.clientId, r.payload, r.payloadSize, r.outcome, r.channel]),
        `on conflict (topic) do update set
          time = excluded.time, client_id = excluded.client_id, payload = excluded.payload,
          payload_size = excluded.payload_size, outcome = excluded.outcome, channel = excluded.channel
        where last_messages.time <= excluded.time`,
      );
    }
    return true;
  });
}
