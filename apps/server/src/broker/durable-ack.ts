import type { Client } from "aedes";
import type { PublishPacket } from "../dispatcher/publish-pipeline.js";

type Authorize = (client: Client, packet: PublishPacket, callback: (err?: Error | null) => void) => void;

/**
 * Group commit (`store.ackAfterDurable`): aedes sends a QoS 1 PUBACK (and a QoS 2 PUBREC) as
 * soon as authorizePublish calls back, so a QoS 1/2 message's callback waits until its outcome,
 * recorded by the pipeline before it calls back, is crash-proof. Every PUBACK waiting during one
 * fsync of the outcome log shares the next one. QoS 0 has no ack and is not held.
 */
export function ackAfterDurable(authorize: Authorize, whenDurable: () => Promise<void>): Authorize {
  return (client, packet, callback) => {
    if (packet.qos === 0) {
      authorize(client, packet, callback);
      return;
    }
    authorize(client, packet, (err) => {
      if (err) callback(err);
      else whenDurable().then(() => callback(null));
    });
  };
}
