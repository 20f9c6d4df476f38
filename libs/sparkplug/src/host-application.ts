import { type ErrorRegistry, UnsError } from "@uns/errors";
import { encodeSparkplug } from "./proto.js";
import { sparkplugTopic } from "./topic.js";
import { type OutgoingMessage, SPARKPLUG_NAMESPACE } from "./types.js";

export const REBIRTH_METRIC = "Node Control/Rebirth";

/** Thrown for a host id that cannot be a topic level. Code `UNS_ERR_SPARKPLUG_HOST_ID`. */
export class SparkplugHostIdError extends UnsError<"UNS_ERR_SPARKPLUG_HOST_ID"> {
  constructor(hostId: string) {
    super(
      "UNS_ERR_SPARKPLUG_HOST_ID",
      `Sparkplug host id "${hostId}" is not valid: expected a non-empty string without / + #`,
    );
    this.name = "SparkplugHostIdError";
  }
}

function checkHostId(hostId: string): void {
  if (hostId.length === 0 || /[/+#]/.test(hostId)) throw new SparkplugHostIdError(hostId);
}

/** `spBv1.0/STATE/<host id>` [tck-id-host-topic-phid-birth-topic] [tck-id-host-topic-phid-death-topic]. */
export function stateTopic(hostId: string): string {
  checkHostId(hostId);
  return `${SPARKPLUG_NAMESPACE}/STATE/${hostId}`;
}

/**
 * The STATE payload of Sparkplug 3.0: UTF-8 JSON `{"online":true|false,"timestamp":<ms>}`
 * [tck-id-host-topic-phid-birth-payload] [tck-id-host-topic-phid-death-payload].
 */
export function statePayload(online: boolean, timestamp: number): string {
  return JSON.stringify({ online, timestamp });
}

/**
 * NCMD `Node Control/Rebirth` = true for an edge node, QoS 0, not retained
 * [tck-id-operational-behavior-data-commands-ncmd-rebirth-verb]
 * [tck-id-operational-behavior-data-commands-ncmd-rebirth-name]
 * [tck-id-operational-behavior-data-commands-ncmd-rebirth-value] [tck-id-topics-ncmd-mqtt]
 * [tck-id-topics-ncmd-timestamp].
 */
export function rebirthCommand(
  group: string,
  edgeNode: string,
  opts: { timestamp?: number } = {},
): OutgoingMessage {
  const timestamp = opts.timestamp ?? Date.now();
  return {
    topic: sparkplugTopic(group, "NCMD", edgeNode),
    payload: encodeSparkplug({
      timestamp,
      metrics: [{ name: REBIRTH_METRIC, type: "Boolean", value: true, timestamp }],
    }),
    qos: 0,
    retain: false,
  };
}

export interface StateMessage {
  topic: string;
  /** JSON text. */
  payload: string;
  qos: 1;
  retain: true;
}

export interface HostApplication {
  readonly hostId: string;
  readonly stateTopic: string;
  /**
   * STATE birth, retained at QoS 1 [tck-id-host-topic-phid-birth-qos] [tck-id-host-topic-phid-birth-retain].
   * An MQTT-connected host passes the timestamp of its CONNECT Will
   * [tck-id-host-topic-phid-birth-payload-timestamp].
   */
  birth(timestamp?: number): StateMessage;
  /** STATE death, retained at QoS 1: the Will, or published before a clean stop [tck-id-host-topic-phid-death-qos]. */
  death(timestamp?: number): StateMessage;
  rebirthCommand(group: string, edgeNode: string, timestamp?: number): OutgoingMessage;
  /** True for this host's own STATE topic. */
  isOwnState(topic: string): boolean;
}

/**
 * Helpers for a Sparkplug primary host application with a fixed host id.
 *
 * @example
 * const host = createHostApplication({ hostId: "uns" });
 * broker.publish({ cmd: "publish", ...host.birth(), payload: Buffer.from(host.birth().payload) }, done);
 */
export function createHostApplication(opts: { hostId: string; now?: () => number }): HostApplication {
  const topic = stateTopic(opts.hostId);
  const now = opts.now ?? Date.now;
  const state = (online: boolean, timestamp: number): StateMessage => ({
    topic,
    payload: statePayload(online, timestamp),
    qos: 1,
    retain: true,
  });
  return {
    hostId: opts.hostId,
    stateTopic: topic,
    birth: (timestamp = now()) => state(true, timestamp),
    death: (timestamp = now()) => state(false, timestamp),
    rebirthCommand: (group, edgeNode, timestamp = now()) => rebirthCommand(group, edgeNode, { timestamp }),
    isOwnState: (t) => t === topic,
  };
}

/** Error codes of this library, documented in docs/errors.md. */
export const sparkplugErrorCodes = {
  UNS_ERR_SPARKPLUG_HOST_ID: {
    message: "The Sparkplug host id cannot be used as a topic level.",
    fix: "Set sparkplug.hostId (UNS_SPARKPLUG_HOST_ID) to a non-empty name without /, + or #.",
  },
  UNS_ERR_SPARKPLUG_MAPPING: {
    message:
      "topics/sparkplug.yaml (the mirror mapping from Sparkplug ids to UNS topics) is not valid; every problem is listed with its line.",
    fix: "Correct the listed lines; see libs/sparkplug/README.md for the format.",
  },
} as const satisfies ErrorRegistry;
