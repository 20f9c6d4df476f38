import type { Client } from "aedes";

/**
 * What goes out to one subscriber, wrapped around aedes' per-client delivery functions
 * (`deliver0` / `deliverQoS` in aedes lib/client.js), installed in preConnect before any
 * subscription captures them.
 *
 * 1. One copy per message [MQTT-3.3.5-1]: a client whose subscriptions overlap (`a/#` and `a/+`)
 *    is called once per matching subscription; aedes' own dedupe (a per-broker counter that
 *    must only grow) is switched off in create-broker.ts because it also drops a message that a
 *    later QoS 0 one overtook. mqemitter calls every listener of one message synchronously, one
 *    after another, so "the same broker id and counter as the previous delivery" is exactly a
 *    second subscription matching the same message.
 * 2. At the highest QoS of the matching subscriptions, never above the published QoS
 *    [MQTT-3.3.5-1] [MQTT-3.8.4-6] (aedes downgrades only for a subscription equal to the topic).
 * 3. A slow consumer is isolated: aedes makes the emitter wait for each client's socket to
 *    drain, so one subscriber that stops reading holds every publisher on its topics. Here the
 *    emitter is answered at once; what waits is this client's own queue, bounded in messages
 *    (written while the socket wants a drain, since its buffer last shrank) and bytes (the
 *    socket's buffer). Past the bounds
 *    QoS 0 for this client is dropped and counted; QoS 1/2 are kept up to twice the bounds
 *    (a persistent session keeps them in the persistence anyway), then the client is
 *    disconnected. aedes' drainTimeout disconnects a client that stays stuck.
 */
export interface DeliveryLimits {
  maxMessages: number;
  maxBytes: number;
}

export interface DeliveryHooks {
  /** A QoS 0 message was dropped for this client alone (its queue was full). */
  onDrop(client: Client, firstOfEpisode: boolean): void;
  /** The client's queue passed twice its bounds with QoS 1/2 messages: it is being disconnected. */
  onOverflow(client: Client, queued: { messages: number; bytes: number }): void;
}

interface Deliverable {
  topic: string;
  qos: 0 | 1 | 2;
  brokerId?: string | null;
  brokerCounter?: number;
}

type DeliverFn = (packet: Deliverable, cb: () => void) => void;

interface AedesClientInternals {
  deliver0: DeliverFn;
  deliverQoS: DeliverFn;
  subscriptions: Record<string, { qos: number }>;
  conn: NodeJS.WritableStream & {
    writableLength?: number;
    writableNeedDrain?: boolean;
    destroyed?: boolean;
    destroy(err?: Error): void;
    on(event: "drain", fn: () => void): unknown;
  };
}

/**
 * [MQTT-4.7] does `filter` match `topic`? (`$` topics are not matched by a leading wildcard
 * [MQTT-4.7.2-1]). Runs for every delivery and every subscription of the receiver, so it walks
 * both strings level by level without splitting them (no arrays, no substrings).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const first = filter.charCodeAt(0);
  if ((first === HASH || first === PLUS) && topic.charCodeAt(0) === DOLLAR) return false;
  const fl = filter.length;
  const tl = topic.length;
  let f = 0;
  let t = 0;
  for (;;) {
    let fEnd = filter.indexOf("/", f);
    if (fEnd < 0) fEnd = fl;
    // "#" also matches the parent level [MQTT-4.7.1-2]
    if (fEnd - f === 1 && filter.charCodeAt(f) === HASH) return true;
    if (t > tl) return false; // the topic has no level left for this one
    let tEnd = topic.indexOf("/", t);
    if (tEnd < 0) tEnd = tl;
    if (!(fEnd - f === 1 && filter.charCodeAt(f) === PLUS)) {
      if (fEnd - f !== tEnd - t) return false;
      for (let i = 0; i < fEnd - f; i++)
        if (filter.charCodeAt(f + i) !== topic.charCodeAt(t + i)) return false;
    }
    f = fEnd + 1;
    t = tEnd + 1;
    if (f > fl) return t > tl;
  }
}

const HASH = 0x23;
const PLUS = 0x2b;
const DOLLAR = 0x24;

/** The highest QoS granted by the client's subscriptions that match `topic`. */
function grantedQos(subs: Record<string, { qos: number }>, topic: string): number {
  let best = -1;
  for (const filter in subs) {
    const q = subs[filter]!.qos;
    if (q > best && topicMatches(filter, topic)) {
      best = q;
      if (best === 2) break;
    }
  }
  return best;
}

export function installClientDelivery(client: Client, limits: DeliveryLimits, hooks: DeliveryHooks): void {
  const c = client as unknown as AedesClientInternals;
  const deliver0 = c.deliver0;
  const deliverQoS = c.deliverQoS;
  let lastBrokerId: string | null = null;
  let lastCounter = -1;
  /** Messages handed to the socket while it wanted a drain, since it last made progress. */
  let backlog = 0;
  let lastBytes = 0;
  let dropping = false;
  let drainHooked = false;

  const deliver = (packet: Deliverable, cb: () => void) => {
    if (packet.brokerId) {
      if (packet.brokerId === lastBrokerId && packet.brokerCounter === lastCounter) {
        cb();
        return;
      }
      lastBrokerId = packet.brokerId;
      lastCounter = packet.brokerCounter ?? -1;
    }
    const granted = grantedQos(c.subscriptions, packet.topic);
    // A retained message sent on SUBSCRIBE may race an UNSUBSCRIBE: keep aedes' own choice then.
    const qos = granted < 0 ? packet.qos : (Math.min(packet.qos, granted) as 0 | 1 | 2);
    packet.qos = qos;

    const conn = c.conn;
    if (!drainHooked) {
      drainHooked = true;
      conn.on("drain", () => {
        backlog = 0;
        dropping = false;
      });
    }
    const bytes = conn.writableLength ?? 0;
    // A socket whose buffer shrank since the last delivery is being read: it is slow, not stuck.
    if (bytes < lastBytes) {
      backlog = 0;
      dropping = false;
    }
    lastBytes = bytes;
    if (backlog >= limits.maxMessages || bytes >= limits.maxBytes) {
      if (qos === 0) {
        hooks.onDrop(client, !dropping);
        dropping = true;
        cb();
        return;
      }
      if (backlog >= 2 * limits.maxMessages || bytes >= 2 * limits.maxBytes) {
        if (!conn.destroyed) {
          hooks.onOverflow(client, { messages: backlog, bytes });
          conn.destroy(new Error("slow consumer: outgoing queue over twice its bounds"));
        }
        cb();
        return;
      }
    }
    if (conn.writableNeedDrain) backlog++;
    // The emitter goes on with the next message now; this client's write completes on its own.
    if (qos === 0) deliver0(packet, noop);
    else deliverQoS(packet, noop);
    cb();
  };
  c.deliver0 = deliver;
  c.deliverQoS = deliver;
}

function noop(): void {}
