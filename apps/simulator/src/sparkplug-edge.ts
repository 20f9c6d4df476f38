/**
 * A Sparkplug B 3.0 edge node for the demo: a welding controller (`Welder01` in group `Plant1`,
 * mirrored by topics/sparkplug.yaml to acme/neckarsulm/body-shop/line-01/cell-01/...) with one
 * device per gun, so the console's Sparkplug page has a live node to show. Payloads are encoded
 * with Eclipse Tahu's encoder (@uns/sparkplug).
 *
 * Lifecycle, with the spec's rules:
 * - CONNECT with a clean session and the NDEATH as Will, QoS 1, not retained, carrying the bdSeq
 *   of this session [tck-id-payloads-ndeath-will-message] [tck-id-message-flow-edge-node-birth-publish-will-message-qos]
 *   [tck-id-message-flow-edge-node-birth-publish-will-message-will-retained] [tck-id-payloads-ndeath-bdseq].
 * - NBIRTH with seq 0, the same bdSeq and `Node Control/Rebirth` [tck-id-topics-nbirth-seq-num]
 *   [tck-id-payloads-nbirth-bdseq] [tck-id-operational-behavior-data-commands-rebirth-name].
 * - DBIRTH per device, then NDATA / DDATA, seq counting 0..255 over every message.
 * - An NCMD (the host's rebirth request, the only command it sends) starts a new birth sequence.
 * - Stopping publishes the NDEATH itself, then disconnects
 *   [tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311].
 */
import { encodeSparkplug, type SparkplugMetricInput } from "@uns/sparkplug";
import mqtt, { type MqttClient } from "mqtt";

export interface EdgeNodeOptions {
  url: string;
  username: string;
  password: string;
  group?: string;
  /** The edge node id; the demo's access rules want it to be the user name. */
  edgeNode?: string;
  devices?: string[];
  /** Between two NDATA/DDATA rounds (ms). */
  intervalMs?: number;
  signal: AbortSignal;
  /** Stop after this many data rounds (tests); default: until the signal. */
  rounds?: number;
}

export interface EdgeNodeSummary {
  births: number;
  dataMessages: number;
}

const topic = (group: string, type: string, node: string, device?: string) =>
  `spBv1.0/${group}/${type}/${node}${device ? `/${device}` : ""}`;

/** Runs the edge node until `signal` aborts (or `rounds` data rounds are sent). */
export async function runSparkplugEdgeNode(o: EdgeNodeOptions): Promise<EdgeNodeSummary> {
  const group = o.group ?? "Plant1";
  const node = o.edgeNode ?? o.username;
  const devices = o.devices ?? ["Gun1", "Gun2"];
  const intervalMs = o.intervalMs ?? 1000;
  // bdSeq of this session: the NDEATH Will and the NBIRTH carry the same one.
  const bdSeq = Math.floor(Date.now() / 1000) % 256;
  let seq = 0;
  const nextSeq = () => {
    const s = seq;
    seq = (seq + 1) % 256;
    return s;
  };
  const summary: EdgeNodeSummary = { births: 0, dataMessages: 0 };
  const bd: SparkplugMetricInput = { name: "bdSeq", type: "Int64", value: bdSeq };
  const client: MqttClient = await mqtt.connectAsync(o.url, {
    username: o.username,
    password: o.password,
    clientId: `${group}-${node}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    will: {
      topic: topic(group, "NDEATH", node),
      payload: Buffer.from(
        encodeSparkplug({ timestamp: Date.now(), metrics: [{ ...bd, timestamp: Date.now() }] }),
      ),
      qos: 1,
      retain: false,
    },
  });

  let round = 0;
  const gunMetrics = (d: number, birth: boolean): SparkplugMetricInput[] => {
    const t = Date.now();
    const current = 9 + Math.sin((round + d) / 5) + Math.random() * 0.2;
    return [
      { name: "Spot/CurrentRMS_kA", type: "Float", value: Math.round(current * 100) / 100, timestamp: t },
      { name: "Spot/WeldTime_ms", type: "Int32", value: 280 + ((round * 7 + d) % 40), timestamp: t },
      ...(birth ? [{ name: "Spot/Electrode", type: "String", value: `E-${d + 1}`, timestamp: t }] : []),
    ];
  };
  const nodeMetrics = (birth: boolean): SparkplugMetricInput[] => [
    ...(birth ? [bd, { name: "Node Control/Rebirth", type: "Boolean", value: false }] : []),
    {
      name: "Cabinet/Temperature_C",
      type: "Float",
      value: Math.round((31 + Math.sin(round / 30)) * 10) / 10,
    },
  ];
  const send = (t: string, metrics: SparkplugMetricInput[]) =>
    client.publishAsync(t, Buffer.from(encodeSparkplug({ timestamp: Date.now(), seq: nextSeq(), metrics })), {
      qos: 0,
    });

  async function birth(): Promise<void> {
    seq = 0;
    await send(topic(group, "NBIRTH", node), nodeMetrics(true));
    for (const [d, dev] of devices.entries())
      await send(topic(group, "DBIRTH", node, dev), gunMetrics(d, true));
    summary.births++;
  }

  let rebirthWanted = false;
  client.on("message", () => {
    rebirthWanted = true;
  });
  await client.subscribeAsync(topic(group, "NCMD", node), { qos: 0 });
  await birth();

  while (!o.signal.aborted && (o.rounds === undefined || round < o.rounds)) {
    await new Promise<void>((r) => {
      const done = () => {
        clearTimeout(timer);
        o.signal.removeEventListener("abort", done);
        r();
      };
      const timer = setTimeout(done, intervalMs);
      o.signal.addEventListener("abort", done, { once: true });
    });
    if (o.signal.aborted) break;
    if (rebirthWanted) {
      rebirthWanted = false;
      await birth();
      continue;
    }
    round++;
    await send(topic(group, "NDATA", node), nodeMetrics(false));
    for (const [d, dev] of devices.entries())
      await send(topic(group, "DDATA", node, dev), gunMetrics(d, false));
    summary.dataMessages += 1 + devices.length;
  }
  // A planned stop: the NDEATH now, since a DISCONNECT discards the Will [MQTT-3.1.2-10].
  await client.publishAsync(
    topic(group, "NDEATH", node),
    Buffer.from(encodeSparkplug({ timestamp: Date.now(), metrics: [{ ...bd, timestamp: Date.now() }] })),
    { qos: 1 },
  );
  await client.endAsync();
  return summary;
}
