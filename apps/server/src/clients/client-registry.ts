import type { Aedes, Client } from "aedes";
import { triedUsername } from "../broker/create-broker.js";
import { clientAddress } from "../broker/login-guard.js";

/** Why a connection ended, as the Clients page shows it. */
export type DisconnectReason =
  | "clean" // the client sent DISCONNECT [MQTT-3.14]
  | "keepalive-timeout" // nothing within 1.5 x keep-alive [MQTT-3.1.2-24]
  | "client-error" // a protocol error, a full queue, a socket error
  | "connection-lost" // the socket closed without DISCONNECT
  | "taken-over" // another connection with the same client id [MQTT-3.1.4-2]
  | "admin"; // an admin disconnected it from the console or the API

export interface ClientEvent {
  /** Increasing, for paging and for the console's keys. */
  seq: number;
  time: string;
  event: "connect" | "disconnect" | "refused";
  clientId: string | null;
  username: string | null;
  address: string | null;
  reason?: DisconnectReason;
  /** CONNACK return code of a refused CONNECT [MQTT-3.2.2-3] and its meaning. */
  returnCode?: number;
  /** The error behind a client-error, or the meaning of a refusal. */
  detail?: string;
  /** The Will message was published (the connection ended without DISCONNECT) [MQTT-3.1.2-8]. */
  willSent?: boolean;
  willTopic?: string;
  /** How long the connection lasted (disconnects). */
  connectedMs?: number;
  /** Who disconnected it (reason admin). */
  by?: string;
}

export interface ConnectedClient {
  clientId: string;
  username: string | null;
  roles: string[];
  address: string | null;
  protocol: string;
  keepaliveSeconds: number;
  cleanSession: boolean;
  connectedAt: string;
  will: { topic: string; qos: number; retain: boolean } | null;
  subscriptions: { topic: string; qos: number }[];
  messagesIn: number;
  messagesOut: number;
  /** QoS 0 messages dropped for it: its outgoing queue was full (client-delivery.ts). */
  messagesDropped: number;
  inPerSecond: number;
  outPerSecond: number;
}

export interface ClientRegistryOptions {
  identityOf: (client: Client) => { username: string | null; roles: readonly string[] };
  /** Entries of connect / disconnect history kept (oldest dropped first). */
  historySize: number;
  /** Rates are over this window (ms); default 10 s. */
  rateWindowMs?: number;
  now?: () => number;
}

// [MQTT-3.2.2-3] Table 3.1, CONNACK return codes.
const RETURN_CODES: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
  6: "keep-alive above the broker's limit (mqtt.keepaliveLimitSeconds)",
};

export function returnCodeMeaning(code: number): string {
  return RETURN_CODES[code] ?? `return code ${code}`;
}

interface Entry {
  client: Client;
  clientId: string;
  username: string | null;
  roles: string[];
  address: string | null;
  protocol: string;
  keepaliveSeconds: number;
  cleanSession: boolean;
  connectedAt: number;
  will: ConnectedClient["will"];
  subscriptions: Map<string, number>;
  messagesIn: number;
  messagesOut: number;
  /** QoS 0 messages dropped for it: its outgoing queue was full (client-delivery.ts). */
  messagesDropped: number;
  /**
   * (time, in, out) samples for the rates, oldest first: one each second in which a counter
   * changed, so an idle client keeps one (10,000 idle clients kept 11 each, ~10 MB).
   */
  samples: [number, number, number][];
  reason?: DisconnectReason;
  detail?: string;
  by?: string;
}

type AedesClient = Client & {
  version?: number;
  clean?: boolean;
  _keepaliveInterval?: number;
  _disconnected?: boolean;
  will?: { topic: string; qos: number; retain: boolean } | null;
  deliver0?: (...a: unknown[]) => unknown;
  deliverQoS?: (...a: unknown[]) => unknown;
  close?: () => void;
};

const protocolName = (v: number | undefined) => (v === 3 ? "MQTT 3.1" : v === 5 ? "MQTT 5" : "MQTT 3.1.1");

/**
 * Who is connected and what happened to connections, from aedes' events only (the broker's
 * handlers are not touched): `client`, `clientDisconnect`, `keepaliveTimeout`, `clientError`,
 * `connectionError`, `connackSent` (refused CONNECTs), `subscribe` / `unsubscribe`, `publish`.
 * Messages out are counted by wrapping the client's delivery functions when it is registered,
 * before its new subscriptions capture them: one increment per delivered message (subscriptions
 * restored from a persistent session were made earlier and are not counted).
 */
export function createClientRegistry(options: ClientRegistryOptions) {
  const now = options.now ?? Date.now;
  const rateWindowMs = options.rateWindowMs ?? 10_000;
  const live = new Map<Client, Entry>();
  const history: ClientEvent[] = [];
  let seq = 0;

  function push(e: Omit<ClientEvent, "seq" | "time">): void {
    history.push({ seq: ++seq, time: new Date(now()).toISOString(), ...e });
    if (history.length > options.historySize) history.splice(0, history.length - options.historySize);
  }

  // One timer for every client: a sample each second a counter changed, rates over the last
  // rateWindowMs. The counters at any tick are those of the latest sample at or before it.
  const timer = setInterval(() => {
    const t = now();
    for (const e of live.values()) {
      const last = e.samples[e.samples.length - 1]!;
      if (last[1] !== e.messagesIn || last[2] !== e.messagesOut)
        e.samples.push([t, e.messagesIn, e.messagesOut]);
      dropBeforeWindow(e.samples, t);
    }
  }, 1000);
  timer.unref();

  /** Keeps the latest sample at or before the window's start: the counters there. */
  function dropBeforeWindow(samples: Entry["samples"], t: number): void {
    while (samples.length > 1 && samples[1]![0] <= t - rateWindowMs) samples.shift();
  }

  function rates(e: Entry): { inPerSecond: number; outPerSecond: number } {
    const t = now();
    dropBeforeWindow(e.samples, t);
    const base = e.samples[0];
    const start = base ? Math.max(base[0], t - rateWindowMs) : t;
    if (!base || t - start < 500) return { inPerSecond: 0, outPerSecond: 0 };
    const s = (t - start) / 1000;
    return { inPerSecond: (e.messagesIn - base[1]) / s, outPerSecond: (e.messagesOut - base[2]) / s };
  }

  function countOut(client: AedesClient, e: Entry): void {
    for (const name of ["deliver0", "deliverQoS"] as const) {
      const original = client[name];
      if (typeof original !== "function") continue;
      // Two fixed arguments (packet, callback): no rest array per delivered message.
      client[name] = function (this: unknown, packet: unknown, done: unknown) {
        e.messagesOut++;
        return original.call(this, packet, done);
      };
    }
  }

  function attach(broker: Aedes): void {
    // `client` (registerClient), not `clientReady`: the socket may close between CONNACK and
    // clientReady, and then clientDisconnect comes first and a clientReady entry never leaves.
    // `client` and `clientDisconnect` are always paired (both need the client registered).
    broker.on("client", (client: AedesClient) => {
      // A second connection with the same id closes the first [MQTT-3.1.4-2]: say so on the old one.
      for (const other of live.values())
        if (other.clientId === client.id && other.client !== client) other.reason ??= "taken-over";
      const id = options.identityOf(client);
      const e: Entry = {
        client,
        clientId: client.id,
        username: id.username,
        roles: [...id.roles],
        address: clientAddress(client) ?? null,
        protocol: protocolName(client.version),
        // aedes keeps only the timer length, 1.5 x keep-alive + 1 ms [MQTT-3.1.2-24].
        keepaliveSeconds:
          client._keepaliveInterval && client._keepaliveInterval > 0
            ? Math.round((client._keepaliveInterval - 1) / 1500)
            : 0,
        cleanSession: client.clean !== false,
        connectedAt: now(),
        will: client.will
          ? { topic: client.will.topic, qos: client.will.qos, retain: client.will.retain }
          : null,
        subscriptions: new Map(),
        messagesIn: 0,
        messagesOut: 0,
        messagesDropped: 0,
        samples: [[now(), 0, 0]],
      };
      countOut(client, e);
      live.set(client, e);
      push({ event: "connect", clientId: e.clientId, username: e.username, address: e.address });
    });
    broker.on("keepaliveTimeout", (client) => {
      const e = live.get(client);
      if (e) e.reason ??= "keepalive-timeout";
    });
    broker.on("clientError", (client, err) => {
      const e = live.get(client);
      if (e && !e.reason) {
        e.reason = "client-error";
        e.detail = err.message;
      }
    });
    broker.on("connectionError", (client, err) => {
      // Before a CONNECT was accepted: garbage on the socket, a CONNECT that never came.
      if (live.has(client)) return;
      push({
        event: "refused",
        clientId: client?.id ?? null,
        username: client ? triedUsername(client) : null,
        address: client ? (clientAddress(client) ?? null) : null,
        detail: err.message,
      });
    });
    broker.on("connackSent", (packet, client) => {
      const code = (packet as { returnCode?: number }).returnCode ?? 0;
      if (code === 0) return;
      push({
        event: "refused",
        clientId: client.id ?? null,
        // The user name it tried, so a wrong password or an unknown user is recognisable.
        username: triedUsername(client),
        address: clientAddress(client) ?? null,
        returnCode: code,
        detail: returnCodeMeaning(code),
      });
    });
    broker.on("clientDisconnect", (client: AedesClient) => {
      const e = live.get(client);
      if (!e) return;
      live.delete(client);
      const clean = client._disconnected === true;
      const reason: DisconnectReason = e.reason ?? (clean ? "clean" : "connection-lost");
      // [MQTT-3.1.2-8] the Will goes out unless the client sent DISCONNECT [MQTT-3.1.2-10].
      const willSent = e.will !== null && !clean;
      push({
        event: "disconnect",
        clientId: e.clientId,
        username: e.username,
        address: e.address,
        reason,
        ...(e.detail ? { detail: e.detail } : {}),
        ...(e.by ? { by: e.by } : {}),
        willSent,
        ...(willSent && e.will ? { willTopic: e.will.topic } : {}),
        connectedMs: now() - e.connectedAt,
      });
    });
    broker.on("subscribe", (subs, client) => {
      const e = client ? live.get(client) : undefined;
      if (e) for (const s of subs) e.subscriptions.set(s.topic, s.qos);
    });
    broker.on("unsubscribe", (topics, client) => {
      const e = client ? live.get(client) : undefined;
      if (e) for (const t of topics) e.subscriptions.delete(t);
    });
    broker.on("publish", (_packet, client) => {
      const e = client ? live.get(client) : undefined;
      if (e) e.messagesIn++;
    });
  }

  function view(e: Entry): ConnectedClient {
    return {
      clientId: e.clientId,
      username: e.username,
      roles: e.roles,
      address: e.address,
      protocol: e.protocol,
      keepaliveSeconds: e.keepaliveSeconds,
      cleanSession: e.cleanSession,
      connectedAt: new Date(e.connectedAt).toISOString(),
      will: e.will,
      subscriptions: [...e.subscriptions].map(([topic, qos]) => ({ topic, qos })),
      messagesIn: e.messagesIn,
      messagesOut: e.messagesOut,
      messagesDropped: e.messagesDropped,
      ...rates(e),
    };
  }

  const matches = (q: string | undefined, ...fields: (string | null | undefined)[]) => {
    if (!q) return true;
    const needle = q.toLowerCase();
    return fields.some((f) => f?.toLowerCase().includes(needle));
  };

  return {
    attach,
    /** Connected clients, optionally those whose id, user, address or a subscription contains `q`. */
    list(q?: string): ConnectedClient[] {
      return [...live.values()]
        .filter((e) => matches(q, e.clientId, e.username, e.address, ...e.subscriptions.keys()))
        .sort((a, b) => a.clientId.localeCompare(b.clientId))
        .map(view);
    },
    /** History, newest first; `q` as in list, `before` a seq for the next page. */
    history(o: { q?: string; event?: ClientEvent["event"]; before?: number; limit: number }): {
      items: ClientEvent[];
      kept: number;
      capacity: number;
    } {
      const items: ClientEvent[] = [];
      for (let i = history.length - 1; i >= 0 && items.length < o.limit; i--) {
        const h = history[i]!;
        if (o.before !== undefined && h.seq >= o.before) continue;
        if (o.event && h.event !== o.event) continue;
        if (!matches(o.q, h.clientId, h.username, h.address, h.reason, h.detail)) continue;
        items.push(h);
      }
      return { items, kept: history.length, capacity: options.historySize };
    },
    /**
     * A QoS 0 message to `client` was dropped (its queue was full): it passed the out counter
     * on its way to the drop, so it moves from out to dropped.
     */
    dropped(client: Client): void {
      const e = live.get(client);
      if (!e) return;
      e.messagesOut--;
      e.messagesDropped++;
    },
    /** Closes the connection of `clientId` (MQTT 3.1.1 has no server DISCONNECT); false if not connected. */
    disconnect(clientId: string, by: string): boolean {
      for (const e of live.values()) {
        if (e.clientId !== clientId) continue;
        e.reason = "admin";
        e.by = by;
        (e.client as AedesClient).close?.();
        return true;
      }
      return false;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type ClientRegistry = ReturnType<typeof createClientRegistry>;
