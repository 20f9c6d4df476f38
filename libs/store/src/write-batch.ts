import { sql } from "drizzle-orm";
import type { Batch } from "./batch.js";
import type { Orm } from "./db.js";
import { appliedBatches, lastMessages, messageCounts, publishers, violations } from "./schema.js";

/** Rows per multi-row statement: well below PostgreSQL's 65 535 bind parameters. */
const chunkRows = 1000;

function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += chunkRows) yield rows.slice(i, i + chunkRows);
}

const date = (ms: number) => new Date(ms);
const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * Write one batch in one transaction. Returns false when the batch id was already applied (a
 * retry after a commit whose answer was lost, or a spool file replayed twice): nothing is added.
 * Every statement is order-insensitive (counts add, last message and publisher fields keep the
 * newest), so replaying old spooled batches after newer ones gives the same result.
 */
export async function writeBatch(orm: Orm, batch: Batch): Promise<boolean> {
  return orm.transaction(async (tx) => {
    const fresh = await tx
      .insert(appliedBatches)
      .values({ batchId: batch.id })
      .onConflictDoNothing()
      .returning({ id: appliedBatches.batchId });
    if (fresh.length === 0) return false;

    for (const rows of chunks(batch.counts)) {
      await tx
        .insert(messageCounts)
        .values(rows.map((r) => ({ ...r, minute: date(r.minute) })))
        .onConflictDoUpdate({
          target: [messageCounts.minute, messageCounts.topic, messageCounts.channel, messageCounts.clientId],
          set: {
            valid: sql`${messageCounts.valid} + excluded.valid`,
            invalid: sql`${messageCounts.invalid} + excluded.invalid`,
            unvalidated: sql`${messageCounts.unvalidated} + excluded.unvalidated`,
            ungoverned: sql`${messageCounts.ungoverned} + excluded.ungoverned`,
          },
        });
    }

    for (const rows of chunks(batch.violations)) {
      await tx.insert(violations).values(rows.map((r) => ({ ...r, time: date(r.time) })));
    }

    for (const rows of chunks(batch.publishers)) {
      await tx
        .insert(publishers)
        .values(
          rows.map((r) => ({
            ...r,
            firstViolation: dateOrNull(r.firstViolation),
            lastViolation: dateOrNull(r.lastViolation),
            lastSeen: date(r.lastSeen),
          })),
        )
        .onConflictDoUpdate({
          target: publishers.clientId,
          set: {
            username: sql`case when excluded.last_seen >= ${publishers.lastSeen} then excluded.username else ${publishers.username} end`,
            messages: sql`${publishers.messages} + excluded.messages`,
            invalid: sql`${publishers.invalid} + excluded.invalid`,
            // least/greatest ignore nulls
            firstViolation: sql`least(${publishers.firstViolation}, excluded.first_violation)`,
            lastViolation: sql`greatest(${publishers.lastViolation}, excluded.last_violation)`,
            lastSeen: sql`greatest(${publishers.lastSeen}, excluded.last_seen)`,
            channels: sql`case when cardinality(excluded.channels) = 0 then ${publishers.channels}
              else array(select distinct c from unnest(${publishers.channels} || excluded.channels) as c order by c) end`,
          },
        });
    }

    for (const rows of chunks(batch.lastMessages)) {
      await tx
        .insert(lastMessages)
        .values(rows.map((r) => ({ ...r, time: date(r.time) })))
        .onConflictDoUpdate({
          target: lastMessages.topic,
          set: {
            time: sql`excluded.time`,
            clientId: sql`excluded.client_id`,
            payload: sql`excluded.payload`,
            payloadSize: sql`excluded.payload_size`,
            outcome: sql`excluded.outcome`,
            channel: sql`excluded.channel`,
          },
          setWhere: sql`${lastMessages.time} <= excluded.time`,
        });
    }
    return true;
  });
}
