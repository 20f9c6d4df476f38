import type { ValidationError } from "@uns/contracts";
import type { MessageOutcome } from "@uns/store";
import type { GovernanceSnapshot } from "../governance.js";
import { quarantineTopic, refusedTopic } from "../uns-topics.js";
import type { InlineJudge } from "./inline-judge.js";
import { OrderedCompletion } from "./ordered-completion.js";
import { type Judgement, type OutcomeBase, outcomeOf } from "./outcome-record.js";
import type { BatchTally } from "./protocol.js";
import { FLAG_ENFORCE, FLAG_OBSERVE, VERDICT_VALID } from "./protocol.js";
import { accessError } from "./steps/access.js";
import { channelFor } from "./steps/channel-policy.js";
import { queueForVerdict } from "./steps/queueing.js";
import { sizeJudgement } from "./steps/size.js";
import { type SparkplugJudge, sparkplugOutcome } from "./steps/sparkplug.js";
import { topicRuleError } from "./steps/topic-rules.js";
import type { LostMessage, ValidationPool } from "./validation-pool.js";

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
  /**
   * Outcomes decided on the event loop end here (refusals, ungoverned, Sparkplug, too large,
   * queue full). Validated messages are counted by the validation workers instead (the pool's
   * `onTally`), or through the pool's `onLost` when no worker answered: each exactly once.
   */
  record: (outcome: Outcome, latencyMs: number | null) => void;
  /** What a validation worker counted for one batch of validated messages. */
  recordTally: (tally: BatchTally) => void;
  /** Channels whose payloads the quality service reads once judged (`onJudged`). */
  observes?: (channel: string) => boolean;
  /** A message of an `observes` channel, judged (VERDICT_* code). */
  onJudged?: (channel: string, topic: string, payload: Uint8Array, time: number, verdict: number) => void;
  /** A bug after the message was delivered (monitor mode): reported, never an unhandled rejection. */
  onInternalError: (err: unknown, topic: string) => void;
  /** Sparkplug messages are judged by the Sparkplug rules, not by AsyncAPI (may be absent). */
  sparkplug?: SparkplugJudge;
  /**
   * Judges valid messages on the event loop at low rates instead of handing them to a worker
   * (inline-judge.ts); absent: every message goes to the pool.
   */
  inline?: InlineJudge;
}

function payloadBytes(payload: Buffer | string): Uint8Array {
  return typeof payload === "string" ? Buffer.from(payload) : payload;
}

/**
 * The dispatcher's decision for every PUBLISH, as an aedes `authorizePublish` hook: the steps in
 * `steps/` in order (topic rules, access, Sparkplug, channel and policy, size, queueing).
 *
 * Never passes an error to aedes: an error disconnects an MQTT 3.1.1 publisher without an ack.
 * Refusals are instead rerouted to a `$uns/...` topic only admins can read, acked as usual,
 * and recorded.
 */
export function createPublishPipeline(options: PipelineOptions) {
  const orders = new WeakMap<PublishingClient, OrderedCompletion>();
  const observes = options.observes ?? (() => false);

  function orderOf(client: PublishingClient): OrderedCompletion {
    let o = orders.get(client);
    if (!o) {
      o = new OrderedCompletion();
      orders.set(client, o);
    }
    return o;
  }

  function baseOf(
    identity: Identity,
    topic: string,
    payload: Uint8Array,
    time: number,
    policy: "monitor" | "enforce",
  ): OutcomeBase {
    return { time, clientId: identity.clientId, username: identity.username, topic, payload, policy };
  }

  function refuse(
    identity: Identity,
    packet: PublishPacket,
    payload: Uint8Array,
    time: number,
    kind: "acl" | "topic",
    error: ValidationError,
  ): void {
    const base = baseOf(identity, packet.topic, payload, time, "enforce");
    options.record(outcomeOf(base, null, null, { outcome: "invalid", kind, errors: [error] }), null);
    packet.topic = refusedTopic(packet.topic);
    packet.retain = false;
  }

  /** A message handed to the pool that no worker judged: unvalidated (enforce quarantined it). */
  function recordLost(m: LostMessage, reason: string): void {
    const policy = m.flags & FLAG_ENFORCE ? "enforce" : "monitor";
    const base = {
      time: m.time,
      clientId: m.clientId,
      username: m.username,
      topic: m.topic,
      payload: m.payload,
      policy,
    } as const;
    const channel = options.governance().channels.get(m.channel) ?? null;
    options.record(outcomeOf(base, m.channel, channel, { outcome: "unvalidated", reason }), null);
  }
  options.pool.connect({ onTally: options.recordTally, onLost: recordLost, onJudged: options.onJudged });

  function quarantine(packet: PublishPacket): void {
    packet.topic = quarantineTopic(packet.topic);
    packet.retain = false;
  }

  /**
   * Governed messages from the channel on (steps 4 to 6); shared by publishes and by the server's
   * own messages. Resolves with whether to deliver when the verdict is awaited.
   */
  function judgeGoverned(
    snap: GovernanceSnapshot,
    place: ReturnType<GovernanceSnapshot["tree"]["classify"]>,
    identity: Identity,
    topic: string,
    payload: Uint8Array,
    time: number,
    policy: "monitor" | "enforce" | undefined,
    verdictBeforeAck: boolean,
  ): Promise<boolean> | boolean {
    const target = channelFor(snap, place, topic, policy);
    if (target.kind === "record") {
      const base = baseOf(identity, topic, payload, time, target.policy);
      options.record(outcomeOf(base, target.channelId, null, target.judgement), null);
      return target.judgement.outcome === "ungoverned" || target.policy === "monitor";
    }
    const { channel } = target;
    const tooLarge = sizeJudgement(payload.byteLength, options.maxPayloadBytes);
    if (tooLarge) {
      const base = baseOf(identity, topic, payload, time, target.policy);
      options.record(outcomeOf(base, channel.id, channel, tooLarge), null);
      return target.policy === "monitor";
    }
    const observed = observes(channel.id);
    // Cheaper on the event loop than a hand-off at low rates; its counts go the tally's way. Not
    // when the ack waits for a durable outcome: that one must be in the store before the ack.
    if (
      !verdictBeforeAck &&
      options.inline?.judge(
        snap,
        channel,
        topic,
        identity.clientId,
        identity.username,
        (target.policy === "enforce" ? FLAG_ENFORCE : 0) | (observed ? FLAG_OBSERVE : 0),
        time,
        payload,
      )
    ) {
      if (observed) options.onJudged?.(channel.id, topic, payload, time, VERDICT_VALID);
      return true;
    }
    const full: Judgement = {
      outcome: "unvalidated",
      reason: "validation queue full: delivered without validation",
    };
    return (
      queueForVerdict(
        options.pool,
        {
          channel: channel.id,
          topic,
          clientId: identity.clientId,
          username: identity.username,
          policy: target.policy,
          time,
          payload,
          observe: observed,
          verdictBeforeAck,
        },
        () =>
          options.record(
            outcomeOf(baseOf(identity, topic, payload, time, target.policy), channel.id, channel, full),
            null,
          ),
      ) ?? true
    );
  }

  /** Decide synchronously where possible; returns a promise only when the verdict is needed before delivery. */
  function decide(client: PublishingClient, packet: PublishPacket, time: number): Promise<void> | undefined {
    const snap = options.governance();
    const identity = options.identityOf(client);
    const topic = packet.topic;
    const payload = payloadBytes(packet.payload);
    const place = snap.tree.classify(topic);

    // Topic rules first: they explain what is wrong with the topic itself, whoever publishes.
    const topicError = topicRuleError(place);
    if (topicError) return void refuse(identity, packet, payload, time, "topic", topicError);
    const aclError = accessError(snap.access, identity, topic);
    if (aclError) return void refuse(identity, packet, payload, time, "acl", aclError);
    if (place.kind === "reserved") {
      const base = baseOf(identity, topic, payload, time, "monitor");
      options.record(sparkplugOutcome(options.sparkplug, client, packet, identity, base), null);
      return undefined;
    }
    const deliver = judgeGoverned(
      snap,
      place,
      identity,
      topic,
      payload,
      time,
      undefined,
      options.verdictBeforeAck === true && packet.qos > 0,
    );
    if (deliver === true) return undefined;
    if (deliver === false) return void quarantine(packet);
    return deliver.then((ok) => {
      if (!ok) quarantine(packet);
    });
  }

  return {
    /**
     * A message the server publishes itself (the Sparkplug metric mirror, alerts): judged by the
     * channel its topic belongs to, in monitor mode (delivered at once, never refused), and recorded.
     */
    observeInternal(identity: Identity, packet: PublishPacket): void {
      const snap = options.governance();
      const place = snap.tree.classify(packet.topic);
      const result = judgeGoverned(
        snap,
        place,
        identity,
        packet.topic,
        payloadBytes(packet.payload),
        Date.now(),
        "monitor",
        false,
      );
      if (typeof result !== "boolean") result.catch((err) => options.onInternalError(err, packet.topic));
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
        const base = baseOf(
          { clientId: client.id, username: null, roles: [] },
          packet.topic,
          payloadBytes(packet.payload),
          time,
          "monitor",
        );
        options.record(
          outcomeOf(base, null, null, {
            outcome: "unvalidated",
            kind: "internal-error",
            keyword: "internal",
            reason: (err as Error).message,
          }),
          null,
        );
      }
      if (!decision && order.idle) {
        callback(null);
        return;
      }
      order.add(decision, () => callback(null));
    },
  };
}
