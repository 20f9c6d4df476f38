import type { Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { Aedes, type AuthenticateError, type Client } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";
import type { Identity, PublishPacket } from "../dispatcher/publish-pipeline.js";
import type { GovernanceSnapshot } from "../governance.js";
import { installClientDelivery } from "./client-delivery.js";
import { clientAddress, type MqttLoginCheck } from "./login-guard.js";
import { type GuardViolation, PacketGuard } from "./packet-guard.js";
import { inPublishOrder, withoutCleanSessionAckReads } from "./persistence.js";

const IDENTITY = Symbol("uns.identity");
const REJECT_EMPTY_ID = Symbol("uns.rejectEmptyId");
const TRIED_USERNAME = Symbol("uns.triedUsername");

type UnsClient = Client & { [IDENTITY]?: Identity; [REJECT_EMPTY_ID]?: boolean; [TRIED_USERNAME]?: string };

/** Kept of a CONNECT's user name for the history: enough to recognise it, bounded in memory. */
const TRIED_USERNAME_MAX = 256;

export interface BrokerOptions {
  governance: () => GovernanceSnapshot;
  allowAnonymous: boolean;
  keepaliveLimitSeconds: number;
  tcpNoDelay: boolean;
  authorizePublish: (client: Client, packet: PublishPacket, callback: (err?: Error | null) => void) => void;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Largest MQTT packet accepted, before CONNACK and after (bytes). */
  maxPacketBytes: number;
  /** Each client's outgoing queue (see client-delivery.ts). */
  clientQueueMaxMessages: number;
  clientQueueMaxBytes: number;
  /** A client whose socket has not drained for this long is disconnected (ms). */
  slowClientTimeoutMs: number;
  /** aedes persistence (undefined: in memory). */
  persistence?: unknown;
  /** Counted and logged by the caller: a packet refused on the wire, a QoS 0 dropped for a slow client, a slow client disconnected. */
  onProtocolViolation?: (clientId: string | null, violation: GuardViolation) => void;
  onSlowClientDrop?: (client: Client) => void;
  onSlowClientDisconnect?: (clientId: string, reason: string) => void;
  /** Password check with guessing limits (login-guard.ts); default: the access rules alone. */
  checkLogin?: MqttLoginCheck;
  /** The user a verified client certificate names, or null (tls.ts). */
  certificateUser?: (client: Client) => string | null;
  /** Clustered mode: aedes' id, shared emitter and heartbeat (see cluster/). */
  aedesOptions?: Record<string, unknown>;
  /** A reason to refuse every CONNECT with 0x03 (server unavailable) right now, or null. */
  refuseConnection?: () => string | null;
}

/**
 * aedes drops a delivery whose broker counter is lower than the last one the client received
 * (`dedupe` in lib/client.js, meant for clustered brokers sharing an emitter). But a QoS 1/2 or
 * retained publish waits on persistence before it is emitted, so a QoS 0 message published just
 * after it overtakes it, and the earlier message is silently lost for every subscriber of both.
 * So aedes' counter map never blocks; the one thing that dedupe also did, one copy for
 * overlapping subscriptions [MQTT-3.3.5-1], is done in client-delivery.ts by exact match.
 */
const NO_DEDUPE: Record<string, number> = new Proxy(Object.create(null), {
  get: () => undefined,
  set: () => true,
});

function authError(returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  err.returnCode = returnCode;
  return err;
}

/**
 * The user name a client's CONNECT gave (never the password), accepted or not: the Clients
 * page's history names who a refused CONNECT tried to log in as. Null without a user name.
 */
export function triedUsername(client: Client): string | null {
  return (client as UnsClient)[TRIED_USERNAME] ?? null;
}

/** The identity a connected client was authenticated as. */
export function identityOf(client: { id: string }): Identity {
  return (client as UnsClient)[IDENTITY] ?? { username: null, clientId: client.id, roles: [] };
}

/**
 * aedes 1.2.0 with the UNS hooks: authentication against topics/users.yaml, ACL on subscribe,
 * and the dispatcher on publish. MQTT 3.1.1 only (see README: why not aedes 2 beta).
 */
export async function createBroker(options: BrokerOptions) {
  const broker = await Aedes.createBroker({
    keepaliveLimit: options.keepaliveLimitSeconds,
    drainTimeout: options.slowClientTimeoutMs,
    ...(options.persistence
      ? { persistence: inPublishOrder(withoutCleanSessionAckReads(options.persistence)) as never }
      : {}),
    ...options.aedesOptions,
    preConnect(client, packet, callback) {
      (client as unknown as { duplicates: Record<string, number> }).duplicates = NO_DEDUPE;
      installClientDelivery(
        client,
        { maxMessages: options.clientQueueMaxMessages, maxBytes: options.clientQueueMaxBytes },
        {
          onDrop: (c, first) => {
            options.onSlowClientDrop?.(c);
            if (first)
              options.logger.warn(
                { clientId: c.id, code: "UNS_ERR_MQTT_SLOW_CLIENT" },
                "slow subscriber: its outgoing queue is full, QoS 0 messages to it are dropped",
              );
          },
          onOverflow: (c, queued) => {
            options.onSlowClientDisconnect?.(c.id, "queue");
            options.logger.warn(
              { clientId: c.id, code: "UNS_ERR_MQTT_SLOW_CLIENT", ...queued },
              "slow subscriber disconnected: QoS 1/2 messages queued past twice the bounds",
            );
          },
        },
      );
      // [MQTT-3.1.3-8] an empty client id needs CleanSession=1; aedes would invent an id.
      // aedes replies to an authentication error with its return code, so flag it here
      // and refuse in authenticate with 0x02 (identifier rejected).
      if (packet.clientId === "" && packet.clean === false) (client as UnsClient)[REJECT_EMPTY_ID] = true;
      // preConnect runs before aedes checks the CONNECT, so every refusal's CONNACK has it.
      if (typeof packet.username === "string" && packet.username !== "")
        (client as UnsClient)[TRIED_USERNAME] = packet.username.slice(0, TRIED_USERNAME_MAX);
      callback(null, true);
    },
    authenticate(client, username, password, callback) {
      const c = client as UnsClient;
      if (c[REJECT_EMPTY_ID]) {
        callback(
          authError(2, "identifier rejected: an empty client id requires CleanSession=1 [MQTT-3.1.3-8]"),
          false,
        );
        return;
      }
      const refusal = options.refuseConnection?.();
      if (refusal) {
        callback(authError(3, refusal), false);
        return;
      }
      const access = options.governance().access;
      // A client certificate signed by tls.caFile is the login; a username, if sent, must match it.
      const certUser = options.certificateUser?.(client) ?? null;
      const certified =
        certUser && (!username || username === certUser)
          ? access.users().find((u) => u.username === certUser)
          : undefined;
      if (certified) {
        c[IDENTITY] = { username: certified.username, clientId: client.id, roles: certified.roles };
        callback(null, true);
        return;
      }
      if (username === undefined || username === null || username === "") {
        const role = access.anonymousRole;
        if (!options.allowAnonymous || !role) {
          options.logger.info(
            { clientId: client.id },
            "anonymous connection refused (UNS_MQTT_ALLOW_ANONYMOUS is off or no anonymous role)",
          );
          callback(authError(5, "not authorized: anonymous access is off"), false);
          return;
        }
        c[IDENTITY] = { username: null, clientId: client.id, roles: [role] };
        callback(null, true);
        return;
      }
      const pw = password ? password.toString("utf8") : "";
      const check = options.checkLogin
        ? options.checkLogin(access, username, pw, clientAddress(client))
        : access.authenticate(username, pw);
      check.then(
        (result) => {
          if (!result.ok) {
            options.logger.info(
              { clientId: client.id, username, reason: result.reason },
              "authentication failed",
            );
            callback(authError(4, "bad user name or password"), false);
            return;
          }
          c[IDENTITY] = { username, clientId: client.id, roles: result.user.roles };
          callback(null, true);
        },
        () => callback(authError(5, "not authorized"), false),
      );
    },
    authorizePublish(client, packet, callback) {
      if (!client) {
        callback(null);
        return;
      }
      options.authorizePublish(client, packet as unknown as PublishPacket, callback);
    },
    authorizeSubscribe(client, sub, callback) {
      if (!client) {
        callback(null, sub);
        return;
      }
      const allowed = options.governance().access.canSubscribe(identityOf(client), sub.topic);
      // null makes aedes answer 0x80 (failure) for this filter only [MQTT-3.9.3]; the client stays connected.
      callback(null, allowed ? sub : null);
    },
  });

  broker.on("clientError", (client, err) => {
    if (err.message === "drain timeout") {
      options.onSlowClientDisconnect?.(client.id, "timeout");
      options.logger.warn(
        { clientId: client.id, code: "UNS_ERR_MQTT_SLOW_CLIENT", timeoutMs: options.slowClientTimeoutMs },
        "slow subscriber disconnected: its socket did not drain in time",
      );
    }
  });

  /**
   * Every connection's bytes pass the packet guard before aedes' parser: the guard sits on the
   * parser's input (aedes reads the socket and calls `_parser.parse`), so nothing is copied and
   * aedes keeps writing to the socket itself.
   */
  const handle = (conn: Parameters<typeof broker.handle>[0]) => {
    broker.handle(conn);
    const client = (
      conn as unknown as {
        client?: {
          id: string | null;
          _parser: { parse(b: Buffer): number };
          emit(e: string, err: Error): void;
        };
      }
    ).client;
    if (!client) return;
    const guard = new PacketGuard(options.maxPacketBytes);
    const parser = client._parser;
    const parse = parser.parse.bind(parser);
    parser.parse = (buf: Buffer) => {
      const r = guard.check(buf);
      if (!r.violation) return parse(buf);
      const left = r.pass > 0 ? parse(buf.subarray(0, r.pass)) : 0;
      options.onProtocolViolation?.(client.id, r.violation);
      options.logger.warn(
        { clientId: client.id, code: r.violation.code, reason: r.violation.message },
        "MQTT packet refused; connection closed",
      );
      const err = Object.assign(new Error(r.violation.message), { code: r.violation.code });
      client.emit("error", err);
      return left;
    };
  };

  let tcp: Server | null = null;
  let wss: WebSocketServer | null = null;

  return {
    broker,
    async listen(host: string, port: number): Promise<number> {
      tcp = createServer({ noDelay: options.tcpNoDelay }, handle);
      await new Promise<void>((resolve, reject) => {
        tcp!.once("error", reject);
        tcp!.listen(port, host, () => resolve());
      });
      const addr = tcp.address();
      return typeof addr === "object" && addr ? addr.port : port;
    },
    /** MQTT over WebSocket at /mqtt on the HTTP server, so a browser can be a client. */
    attachWebSocket(server: HttpServer): void {
      // ws buffers a whole frame before MQTT sees it: a frame is bounded like a packet.
      wss = new WebSocketServer({ server, path: "/mqtt", maxPayload: options.maxPacketBytes });
      wss.on("connection", (ws, req) => {
        const stream = createWebSocketStream(ws);
        // aedes keeps the stream as client.conn: give it the peer address for the login limits.
        (stream as unknown as { remoteAddress?: string }).remoteAddress = req.socket.remoteAddress;
        stream.on("error", () => stream.destroy());
        handle(stream as never);
      });
    },
    connectedClients(): number {
      return broker.connectedClients;
    },
    /** Stop accepting, then close every client and the broker. */
    async close(): Promise<void> {
      // server.close() only resolves once every connection has ended, so close the clients first.
      const tcpClosed = new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
      wss?.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await tcpClosed;
    },
  };
}

export type Broker = Awaited<ReturnType<typeof createBroker>>;
