import { FLAG_ENFORCE, FLAG_OBSERVE, VERDICT_VALID } from "../protocol.js";
import type { ValidationPool } from "../validation-pool.js";

/** A governed message on its way to a validation worker. */
export interface Submission {
  channel: string;
  topic: string;
  clientId: string;
  username: string | null;
  policy: "monitor" | "enforce";
  time: number;
  payload: Uint8Array;
  /** The quality service reads this channel's payloads: report the verdict with the payload. */
  observe: boolean;
  /** A monitored message whose ack waits for its verdict (store.ackAfterDurable, QoS > 0). */
  verdictBeforeAck: boolean;
}

/**
 * Step 6, queueing. Monitor: handed over, delivered at once, nobody waits (the worker counts it);
 * a full queue (workers.queueLength messages or workers.queueMaxBytes bytes) makes it `unvalidated`
 * (`onFull`). Enforce: the promise resolves with whether to deliver once the verdict is in; a full
 * queue slows the publisher down instead (backpressure).
 * Returns undefined when nothing needs to wait.
 */
export function queueForVerdict(
  pool: ValidationPool,
  s: Submission,
  onFull: () => void,
): Promise<boolean> | undefined {
  const enforce = s.policy === "enforce";
  const flags = (enforce ? FLAG_ENFORCE : 0) | (s.observe ? FLAG_OBSERVE : 0);
  if (!enforce && !s.verdictBeforeAck) {
    if (!pool.submit(s.channel, s.topic, s.clientId, s.username, flags, s.time, s.payload, null)) onFull();
    return undefined;
  }
  return new Promise<boolean>((resolve) => {
    // Fail closed in enforce mode: what could not be checked is kept, not delivered.
    const done = (verdict: number) => resolve(!enforce || verdict === VERDICT_VALID);
    if (pool.submit(s.channel, s.topic, s.clientId, s.username, flags, s.time, s.payload, done)) return;
    if (!enforce) {
      onFull();
      resolve(true);
      return;
    }
    const retry = (): void => {
      void pool.whenSpace(s.payload.byteLength).then(() => {
        if (!pool.submit(s.channel, s.topic, s.clientId, s.username, flags, s.time, s.payload, done)) retry();
      });
    };
    retry();
  });
}
