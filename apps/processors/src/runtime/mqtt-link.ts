import mqtt, { type MqttClient } from "mqtt";

/**
 * The MQTT side of a processor: a persistent session (clean: false, QoS 1), so that what is
 * published while the processor is down waits in the server and arrives when it is back.
 *
 * mqtt.js acknowledges a QoS 1 message once its handler returns, and handles packets one at a
 * time, so acknowledging only after scoring would serialise the processor. Instead messages are
 * acknowledged on receipt and a graceful stop drains everything received before it disconnects;
 * during the final disconnect, messages that still arrive are neither handled nor acknowledged,
 * so the server keeps them for the next session. (A crash can lose the batch being scored.)
 */
export interface MqttLink {
  client: MqttClient;
  /** Stops handing messages over and stops acknowledging them; then disconnects. */
  close(): Promise<void>;
}

/** Waits for `p` at most `ms`; true when it settled in time. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = p.then(
    () => true,
    () => true,
  );
  const ok = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return ok;
}

export interface MqttLinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  subscriptions: string[];
  onMessage: (topic: string, payload: Buffer) => void;
  onStatus?: (status: "connected" | "offline" | "error", detail?: string) => void;
}

export async function connectLink(options: MqttLinkOptions): Promise<MqttLink> {
  let holding = false;
  const client = mqtt.connect(options.url, {
    clientId: options.clientId,
    clean: false,
    username: options.username || undefined,
    password: options.password || undefined,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // Outgoing results wait in memory while the server is away and go out on reconnect.
    queueQoSZero: false,
  });
  // A server that is not up yet (the processors started first, or it restarts) is waited for:
  // mqtt.js retries every reconnectPeriod. A server that refuses the login fails the start.
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error & { code?: unknown }) => {
      if (typeof err.code === "number") {
        client.off("connect", onConnect);
        client.off("error", onError);
        client.end(true);
        reject(err);
      } else options.onStatus?.("error", err.message);
    };
    const onConnect = () => {
      client.off("error", onError);
      resolve();
    };
    client.once("connect", onConnect);
    client.on("error", onError);
  });
  const handle = client.handleMessage.bind(client);
  client.handleMessage = (packet, callback) => {
    if (holding) return; // no callback -> no PUBACK: the server redelivers to the next session
    handle(packet, callback);
  };
  client.on("message", (topic, payload) => {
    if (!holding) options.onMessage(topic, payload);
  });
  client.on("connect", () => options.onStatus?.("connected"));
  client.on("offline", () => options.onStatus?.("offline"));
  client.on("error", (err) => options.onStatus?.("error", err.message));
  // A session the server already knew keeps its subscriptions; subscribing again is harmless.
  await client.subscribeAsync(
    options.subscriptions.map((topic) => topic),
    { qos: 1 },
  );
  return {
    client,
    async close() {
      holding = true;
      await client.endAsync(true);
    },
  };
}
