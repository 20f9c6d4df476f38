import type { Aedes } from "aedes";
import type { Identity, PublishPacket } from "../dispatcher/publish-pipeline.js";

type Observe = (identity: Identity, packet: PublishPacket) => void;

/**
 * The server's own messages (alerts today): passed through the dispatcher first, so they are
 * governed and counted like any publisher's, then delivered by the broker. Parts built before
 * the pipeline and the broker (quality, alerts) get this publisher; `attach` connects it once
 * both exist, so no part reaches for them through a closure before they are declared.
 */
export function createInternalPublisher() {
  let target: { observe: Observe; broker: Aedes } | null = null;
  return {
    attach(observe: Observe, broker: Aedes): void {
      target = { observe, broker };
    },
    /** A publish before `attach` is a wiring mistake: it throws rather than vanish. */
    publish(identity: Identity, topic: string, payload: Buffer): void {
      if (!target) throw new Error(`internal publish on ${topic} before the broker is wired`);
      const packet = { cmd: "publish" as const, topic, payload, qos: 0 as const, retain: false, dup: false };
      target.observe(identity, packet);
      target.broker.publish(packet, () => {});
    },
  };
}

export type InternalPublisher = ReturnType<typeof createInternalPublisher>;
