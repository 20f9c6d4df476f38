import { FLAG_OBSERVE } from "./protocol.js";
import type { VerdictCallback } from "./validation-pool.js";

/** Messages as columns: what a batch holds on the event loop while a worker judges it. */
export interface QueuedBatch {
  count: number;
  channels: string[];
  topics: string[];
  clientIds: string[];
  usernames: (string | null)[];
  flags: number[];
  times: number[];
  /** `performance.timeOrigin + performance.now()` at submission. */
  received: number[];
  payloads: Uint8Array[];
  dones: (VerdictCallback | null)[];
  /** Messages with FLAG_OBSERVE (2) in this batch. */
  observed: number;
  /** Payload bytes the batch holds (what workers.queueMaxBytes counts). */
  bytes: number;
}

function empty(): QueuedBatch {
  return {
    count: 0,
    channels: [],
    topics: [],
    clientIds: [],
    usernames: [],
    flags: [],
    times: [],
    received: [],
    payloads: [],
    dones: [],
    observed: 0,
    bytes: 0,
  };
}

/**
 * The validation queue, kept as one set of column arrays: pushing a message adds to each array
 * and allocates nothing of its own; taking a batch slices the columns once.
 */
export function createQueue() {
  let q = empty();
  let head = 0;
  /** Waiting messages someone awaits the verdict of. */
  let urgent = 0;
  /** Payload bytes of the waiting messages. */
  let bytes = 0;
  const origin = performance.timeOrigin;

  return {
    get size(): number {
      return q.count - head;
    },
    get urgent(): number {
      return urgent;
    },
    get bytes(): number {
      return bytes;
    },
    push(
      channel: string,
      topic: string,
      clientId: string,
      username: string | null,
      flags: number,
      time: number,
      payload: Uint8Array,
      done: VerdictCallback | null,
    ): void {
      q.channels.push(channel);
      q.topics.push(topic);
      q.clientIds.push(clientId);
      q.usernames.push(username);
      q.flags.push(flags);
      q.times.push(time);
      q.received.push(origin + performance.now());
      q.payloads.push(payload);
      q.dones.push(done);
      if (done) urgent++;
      bytes += payload.byteLength;
      q.count++;
    },
    /** The next `n` messages (n <= size), oldest first. */
    take(n: number): QueuedBatch {
      const end = head + n;
      const b: QueuedBatch = {
        count: n,
        channels: q.channels.slice(head, end),
        topics: q.topics.slice(head, end),
        clientIds: q.clientIds.slice(head, end),
        usernames: q.usernames.slice(head, end),
        flags: q.flags.slice(head, end),
        times: q.times.slice(head, end),
        received: q.received.slice(head, end),
        payloads: q.payloads.slice(head, end),
        dones: q.dones.slice(head, end),
        observed: 0,
        bytes: 0,
      };
      for (let i = 0; i < n; i++) {
        if (b.dones[i]) urgent--;
        if (b.flags[i]! & FLAG_OBSERVE) b.observed++;
        b.bytes += b.payloads[i]!.byteLength;
      }
      bytes -= b.bytes;
      head = end;
      if (head === q.count) {
        // Drained (the usual case): start over with fresh arrays; the old ones go with the batch.
        q = empty();
        head = 0;
      } else if (head > 4096 && head * 2 > q.count) {
        const rest = q;
        q = empty();
        q.channels = rest.channels.slice(head);
        q.topics = rest.topics.slice(head);
        q.clientIds = rest.clientIds.slice(head);
        q.usernames = rest.usernames.slice(head);
        q.flags = rest.flags.slice(head);
        q.times = rest.times.slice(head);
        q.received = rest.received.slice(head);
        q.payloads = rest.payloads.slice(head);
        q.dones = rest.dones.slice(head);
        q.count = rest.count - head;
        head = 0;
      }
      return b;
    },
  };
}
