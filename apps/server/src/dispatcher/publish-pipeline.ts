import type { ChannelSummary, ValidationError } from "@uns/contracts";
import type { MessageOutcome } from "@uns/store";
import type { GovernanceSnapshot } from "../governance.js";
import { quarantineTopic, refusedTopic } from "../uns-topics.js";
import type { Verdict } from "./protocol.js";
import type { ValidationPool } from "./validation-pool.js";

/** The part of an aedes client the pipeline uses. */
export interface PublishingClient {
  id: string;
}

export interface Identity {
  username: string | null;
  clientId: string;
  roles: string[];
}

export interface PublishPacket {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export type Outcome = MessageOutcome;

export interface PipelineOptions {
  governance: () => GovernanceSnapshot;
  pool: ValidationPool;
  identityOf: (client: PublishingClient) => Identity;
  maxPayloadBytes: number;
  /**
   * Group commit (store.ackAfterDurable): a QoS 1/2 monitor message waits for its verdict before
   * it is acked and delivered, so that its outcome exists to be made durable before the PUBACK.
   */
  verdictBeforeAck?: boolean;
  /** Every message ends here exactly once. */
  record: (outcome: Outcome, latencyMs: number | null) => void;
  /** A bug after the message was delivered (monitor mode): reported, never an unhandled rejection. */
  onInternalError: (err: unknown, topic: string) => void;
  /** Sparkplug messages are judged by the Sparkplug rules, not by AsyncAPI (may be absent). */
  sparkplug?: (
    client: PublishingClient,
    packet: PublishPacket,
    identity: Identity,
    time: number,
  ) => Outcome | null;
}

interface Pending {
  ready: boolean;
  finish: () => void;
}

/**
 * Completes each client's publishes in the order they arrived. aedes hands every packet of a
 * socket read to authorizePublish at once; with asynchronous validation a later message could
 * otherwise overtake an earlier one (and break Sparkplug seq checks).
 */
class OrderedCompletion {
  private readonly queue: Pending[] = [];
  get idle(): boolean {
    return this.queue.length === 0;
  }
  push(entry: Pending): void {
    this.queue.push(entry);
  }
  markReady(entry: Pending): void {
    entry.ready = true;
    while (this.queue.length > 0 && this.queue[0]!.ready) this.queue.shift()!.finish();
  }
}

function payloadBytes(payload: Buffer | string): Uint8Array {
  return typeof payload === "string" ? Buffer.from(payload) : payload;
}

function contractOf(channel: ChannelSummary | undefined) {
  return channel ? { file: channel.file, version: channel.version, title: channel.title } : null;
}

type OutcomeBase = Omit<Outcome, "channel" | "contract" | "outcome">;

/** The one place a verdict on a governed message becomes its outcome record. */
function verdictOutcome(base: OutcomeBase, channel: ChannelSummary, verdict: Verdict): Outcome {
  const common = { ...base, channel: channel.id, contract: contractOf(channel) };
  if (verdict.outcome === "valid") return { ...common, outcome: "valid", messageName: verdict.message };
  if (verdict.outcome === "invalid")
    return {
      ...common,
      outcome: "invalid",
      kind: verdict.kind,
      messageName: verdict.message,
      errors: verdict.errors,
    };
  return {
    ...common,
    outcome: "unvalidated",
    kind: "unvalidated",
    errors: [{ instancePath: "", keyword: "unvalidated", message: verdict.reason }],
  };
}

/**
 * The dispatcher's decision for every PUBLISH, as an aedes `authorizePublish` hook.
 *
 * Never passes an error to aedes: an error disconnects an MQTT 3.1.1 publisher without an ack.
 * Refusals are instead rerouted to a `$uns/...` topic only admins can read, acked as usual,
 * and recorded.
 */
export function createPublishPipeline(options: PipelineOptions) {
  const orders = new WeakMap<PublishingClient, OrderedCompletion>();

  function orderOf(client: PublishingClient): OrderedCompletion {
    let o = orders.get(client);
    if (!o) {
      o = new OrderedCompletion();
      orders.set(client, o);
    }
    return o;
  }

  function outcomeBase(
    identity: Identity,
    packet: PublishPacket,
    payload: Uint8Array,
    time: number,
    policy: "monitor" | "enforce",
  ) {
    return {
      time,
      clientId: identity.clientId,
      username: identity.username,
      topic: packet.topic,
      payload,
      payloadSize: payload.byteLength,
      policy,
    };
  }

  function refuse(
    identity: Identity,
    packet: PublishPacket,
    payload: Uint8Array,
    time: number,
    kind: "acl" | "topic",
    error: ValidationError,
  ): void {
    options.record(
      {
        ...outcomeBase(identity, packet, payload, time, "enforce"),
        channel: null,
        contract: null,
        outcome: "invalid",
        kind,
        errors: [error],
      },
      null,
    );
    packet.topic = refusedTopic(packet.topic);
    packet.retain = false;
  }

  /** Decide synchronously where possible; returns a promise only when the verdict is needed before delivery. */
  function decide(client: PublishingClient, packet: PublishPacket, time: number): Promise<void> | undefined {
    const snap = options.governance();
    const identity = options.identityOf(client);
    const topic = packet.topic;
    const payload = payloadBytes(packet.payload);

    // Topic rules first: they explain what is wrong with the topic itself, whoever publishes.
    const place = snap.tree.classify(topic);
    if (place.kind === "refused") {
      refuse(identity, packet, payload, time, "topic", {
        instancePath: "",
        keyword: place.code,
        message: place.reason,
      });
      return undefined;
    }
    if (place.kind === "reserved" && place.namespace === "$") {
      refuse(identity, packet, payload, time, "topic", {
        instancePath: "",
        keyword: "reserved",
        message:
          "topics starting with $ are reserved for the broker [MQTT-4.7.2-1]; publish under the plant tree instead",
      });
      return undefined;
    }
    if (!snap.access.canPublish(identity, topic)) {
      refuse(identity, packet, payload, time, "acl", {
        instancePath: "",
        keyword: "acl",
        message: `${identity.username ?? "anonymous"} (roles: ${identity.roles.join(", ") || "none"}) may not publish to ${topic}`,
      });
      return undefined;
    }
    if (place.kind === "reserved") {
      if (options.sparkplug) {
        const o = options.sparkplug(client, packet, identity, time);
        if (o) {
          options.record(o, null);
          return undefined;
        }
      }
      options.record(
        {
          ...outcomeBase(identity, packet, payload, time, "monitor"),
          channel: null,
          contract: null,
          outcome: "ungoverned",
        },
        null,
      );
      return undefined;
    }

    const policy = place.policy;
    let channel: ChannelSummary | undefined;
    if (place.kind === "leaf" && place.channel) channel = snap.channels.get(place.channel);
    else channel = snap.matchChannel(topic)?.channel;

    const base = outcomeBase(identity, packet, payload, time, policy);
    if (!channel && place.kind === "leaf" && place.channel) {
      // Governance refuses trees naming unknown channels and holds channels a reload drops, so
      // this is a bug guard: fail closed (never a silent `ungoverned`).
      options.record(
        {
          ...base,
          channel: place.channel,
          contract: null,
          outcome: "unvalidated",
          kind: "unvalidated",
          errors: [
            {
              instancePath: "",
              keyword: "channel",
              message: `leaf ${place.leaf} names channel "${place.channel}", which no loaded contract defines`,
            },
          ],
        },
        null,
      );
      if (policy === "enforce") quarantine(packet);
      return undefined;
    }
    if (!channel) {
      options.record(
        {
          ...base,
          channel: place.kind === "leaf" ? place.channel : null,
          contract: null,
          outcome: "ungoverned",
        },
        null,
      );
      return undefined;
    }

    const settle = (verdict: Verdict, started: number | null) => {
      options.record(
        verdictOutcome(base, channel, verdict),
        started === null ? null : performance.now() - started,
      );
      if (verdict.outcome === "valid") return true;
      if (verdict.outcome === "invalid") return false;
      // Fail closed in enforce mode: what could not be checked is kept, not delivered.
      return policy === "monitor";
    };

    if (payload.byteLength > options.maxPayloadBytes) {
      const ok = settle(
        {
          outcome: "invalid",
          kind: "too-large",
          errors: [
            {
              instancePath: "",
              keyword: "maxPayloadBytes",
              message: `payload is ${payload.byteLength} bytes; at most ${options.maxPayloadBytes} are accepted for validation`,
            },
          ],
        },
        null,
      );
      if (!ok && policy === "enforce") quarantine(packet);
      return undefined;
    }

    const started = performance.now();
    const pending = options.pool.submit(channel.id, topic, payload);
    if (policy === "monitor") {
      if (pending && options.verdictBeforeAck && packet.qos > 0)
        return pending.then((v) => {
          settle(v, started);
        });
      if (pending)
        pending.then((v) => settle(v, started)).catch((err) => options.onInternalError(err, topic));
      else
        settle(
          { outcome: "unvalidated", reason: "validation queue full: delivered without validation" },
          null,
        );
      return undefined;
    }
    // enforce: the verdict is needed before delivery; a full queue slows this publisher down.
    const verdictPromise = pending ?? submitWhenSpace(channel.id, topic, payload);
    return verdictPromise.then((v) => {
      if (!settle(v, started)) quarantine(packet);
    });
  }

  async function submitWhenSpace(channel: string, topic: string, payload: Uint8Array): Promise<Verdict> {
    for (;;) {
      await options.pool.whenSpace();
      const p = options.pool.submit(channel, topic, payload);
      if (p) return p;
    }
  }

  function quarantine(packet: PublishPacket): void {
    packet.topic = quarantineTopic(packet.topic);
    packet.retain = false;
  }

  return {
    /**
     * A message the server publishes itself (the Sparkplug metric mirror): judged by the channel
     * its topic belongs to, in monitor mode (delivered at once, never refused), and recorded.
     */
    observeInternal(identity: Identity, packet: PublishPacket): void {
      const snap = options.governance();
      const payload = payloadBytes(packet.payload);
      const time = Date.now();
      const place = snap.tree.classify(packet.topic);
      const channel =
        place.kind === "leaf" && place.channel
          ? snap.channels.get(place.channel)
          : snap.matchChannel(packet.topic)?.channel;
      const base = outcomeBase(identity, packet, payload, time, "monitor");
      if (!channel) {
        options.record({ ...base, channel: null, contract: null, outcome: "ungoverned" }, null);
        return;
      }
      const started = performance.now();
      const pending = options.pool.submit(channel.id, packet.topic, payload);
      const settle = (v: Verdict, latency: number | null) =>
        options.record(verdictOutcome(base, channel, v), latency);
      if (pending)
        pending
          .then((v) => settle(v, performance.now() - started))
          .catch((err) => options.onInternalError(err, packet.topic));
      else settle({ outcome: "unvalidated", reason: "validation queue full" }, null);
    },
    authorizePublish(
      client: PublishingClient,
      packet: PublishPacket,
      callback: (err?: Error | null) => void,
    ): void {
      const time = Date.now();
      const order = orderOf(client);
      let decision: Promise<void> | undefined;
      try {
        decision = decide(client, packet, time);
      } catch (err) {
        // A bug in a decision must not disconnect the publisher or lose the message: deliver, and say so loudly.
        decision = undefined;
        options.record(
          {
            time,
            clientId: client.id,
            username: null,
            topic: packet.topic,
            payload: payloadBytes(packet.payload),
            payloadSize: payloadBytes(packet.payload).byteLength,
            policy: "monitor",
            channel: null,
            contract: null,
            outcome: "unvalidated",
            kind: "internal-error",
            errors: [{ instancePath: "", keyword: "internal", message: (err as Error).message }],
          },
          null,
        );
      }
      if (!decision && order.idle) {
        callback(null);
        return;
      }
      const entry: Pending = { ready: false, finish: () => callback(null) };
      order.push(entry);
      // A failed decision still completes (the message was recorded): never stall the client's queue.
      if (decision)
        decision.then(
          () => order.markReady(entry),
          () => order.markReady(entry),
        );
      else order.markReady(entry);
    },
  };
}
