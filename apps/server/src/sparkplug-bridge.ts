import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { operations, routeSchema } from "@uns/api-contract";
import {
  createHostApplication,
  createMirrorMapper,
  createSparkplugTracker,
  type MirrorMapper,
  type OutgoingMessage,
  parseMirrorMapping,
  type SparkplugResult,
  type SparkplugTickResult,
  type SparkplugViolation,
  type StateMessage,
} from "@uns/sparkplug";
import type { Aedes, Client } from "aedes";
import type { ApiApp } from "./api/app.js";
import type { Identity, Outcome, PublishPacket } from "./dispatcher/publish-pipeline.js";
import { SPARKPLUG_MIRROR_CLIENT_ID } from "./uns-topics.js";

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SparkplugBridgeOptions {
  hostId: string;
  reorderWindowMs: number;
  rebirthMinIntervalMs: number;
  topicsDir: string;
  logger: Logger;
  /** Record an outcome that is not tied to a PUBLISH (a seq gap found later by the timer). */
  record: (o: Outcome) => void;
  /**
   * Clustered mode: this node is the primary host only while it holds the cluster's lease
   * (`setPrimary`); until then it publishes no STATE and hands rebirth requests to `forwardRebirth`.
   */
  leased?: boolean;
  forwardRebirth?: (r: Omit<NonNullable<SparkplugResult["rebirth"]>, "command">) => void;
}

/** Passes a mirror message through the dispatcher (governed like any topic) before delivery. */
export type ObserveMirror = (identity: Identity, packet: PublishPacket) => void;

const mirrorIdentity: Identity = { username: null, clientId: SPARKPLUG_MIRROR_CLIENT_ID, roles: ["admin"] };

/** One Sparkplug rule finding as the store's error shape; the rule id is the keyword. */
function toErrors(violations: SparkplugViolation[]) {
  return violations.map((v) => ({
    instancePath: v.metric ? `/metrics/${v.metric}` : "",
    keyword: v.rule,
    message: `${v.message}${v.conformance ? ` [${v.conformance}]` : ""}`,
    params: { conformance: v.conformance, related: v.related ?? [], severity: v.severity },
  }));
}

/** Mirror mapping from topics/sparkplug.yaml; none when the file is absent. */
function loadMapper(topicsDir: string): MirrorMapper | null {
  const file = join(topicsDir, "sparkplug.yaml");
  if (!existsSync(file)) return null;
  return createMirrorMapper(parseMirrorMapping(readFileSync(file, "utf8"), { source: file }));
}

/**
 * The Sparkplug B side of the server: every `spBv1.0/...` message is fed, in each publisher's
 * order, to the tracker that checks the Sparkplug 3.0 rules. Births are retained under
 * `$sparkplug/certificates/...` (Sparkplug-aware MQTT server); metrics are mirrored as plain JSON
 * on UNS topics; as primary host (sparkplug.hostId) the server publishes its STATE and asks for
 * rebirths.
 */
export function createSparkplugBridge(options: SparkplugBridgeOptions) {
  const tracker = createSparkplugTracker({
    reorderWindowMs: options.reorderWindowMs,
    rebirthMinIntervalMs: options.rebirthMinIntervalMs,
    hostId: options.hostId || undefined,
  });
  const host = options.hostId ? createHostApplication({ hostId: options.hostId }) : null;
  let mapper = loadMapper(options.topicsDir);
  let primary = !options.leased;
  let broker: Aedes | null = null;
  let observe: ObserveMirror = () => {};
  let timer: NodeJS.Timeout | null = null;
  const rebirthsSent: { group: string; edgeNode: string; reason: string; time: string }[] = [];

  function publish(m: OutgoingMessage | StateMessage): void {
    const payload = typeof m.payload === "string" ? Buffer.from(m.payload) : Buffer.from(m.payload);
    broker?.publish(
      { cmd: "publish", topic: m.topic, payload, qos: m.qos, retain: m.retain, dup: false },
      () => {},
    );
  }

  function mirror(updates: SparkplugResult["mirror"]): void {
    if (!mapper || !updates?.length) return;
    for (const m of mapper.mapAll(updates)) {
      const packet = {
        cmd: "publish" as const,
        topic: m.topic,
        payload: Buffer.from(m.payload),
        qos: 0 as const,
        retain: true,
        dup: false,
      };
      observe(mirrorIdentity, packet);
      broker?.publish(packet, () => {});
    }
  }

  function rebirth(r: NonNullable<SparkplugResult["rebirth"]>): void {
    // Only the primary host asks for rebirths; a passive observer must not command edge nodes.
    if (!host) return;
    if (!primary) {
      const { command: _, ...request } = r;
      options.forwardRebirth?.(request);
      return;
    }
    publish(r.command);
    rebirthsSent.push({
      group: r.group,
      edgeNode: r.edgeNode,
      reason: r.reason,
      time: new Date(r.time).toISOString(),
    });
    if (rebirthsSent.length > 500) rebirthsSent.shift();
    options.logger.info(
      { group: r.group, edgeNode: r.edgeNode, reason: r.reason },
      "Sparkplug rebirth requested",
    );
  }

  function applyLater(r: SparkplugTickResult): void {
    for (const v of r.violations) {
      const payload = v.payload ?? new Uint8Array();
      options.record({
        time: v.time,
        clientId: v.clientId ?? "",
        username: null,
        topic: v.topic,
        payload,
        payloadSize: payload.byteLength,
        policy: "monitor",
        channel: null,
        contract: null,
        outcome: "invalid",
        kind: "sparkplug",
        errors: toErrors([v]),
        counted: false,
      });
    }
    for (const rb of r.rebirths) rebirth(rb);
    mirror(r.mirror);
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    const next = tracker.nextDeadline();
    const delay = next === undefined ? 1000 : Math.max(10, Math.min(1000, next - Date.now()));
    timer = setTimeout(() => {
      applyLater(tracker.tick());
      schedule();
    }, delay);
    timer.unref();
  }

  return {
    tracker,
    /** Start with the broker; mirror messages pass `observeMirror` (the dispatcher) first. */
    attach(aedes: Aedes, observeMirror: ObserveMirror): void {
      broker = aedes;
      observe = observeMirror;
      aedes.on("client", (client: Client) => {
        const c = client as Client & { will?: unknown; clean?: boolean };
        tracker.onConnect({ clientId: client.id, clean: c.clean, will: (c.will as never) ?? null });
      });
      aedes.on("clientDisconnect", (client: Client) => {
        applyLater(
          tracker.onClientGone(client.id, {
            clean: (client as unknown as { _disconnected?: boolean })._disconnected === true,
          }),
        );
      });
      if (host && primary) publish(host.birth());
      schedule();
    },
    /** Clustered mode: this node became (or stopped being) the cluster's primary host. */
    setPrimary(on: boolean): void {
      if (on === primary) return;
      primary = on;
      // A new primary says it is online; the old one's retained STATE is superseded by this one.
      if (on && host && broker) publish(host.birth());
    },
    /** A rebirth found on another node, asked for by this one as the primary host. */
    requestRebirth(r: Omit<NonNullable<SparkplugResult["rebirth"]>, "command">): void {
      if (host) rebirth({ ...r, command: host.rebirthCommand(r.group, r.edgeNode) });
    },
    reloadMapping(): void {
      try {
        mapper = loadMapper(options.topicsDir);
      } catch (err) {
        options.logger.error(
          { err: (err as Error).message },
          "topics/sparkplug.yaml is invalid; keeping the previous mapping",
        );
      }
    },
    /**
     * Judges one PUBLISH under spBv1.0/ (called synchronously from the publish pipeline, so in
     * each publisher's order). Returns its outcome: valid, or invalid with the rules it broke.
     */
    onPublish(
      client: { id: string; closed?: boolean },
      packet: PublishPacket,
      identity: Identity,
      time: number,
    ): Outcome {
      const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
      const result = tracker.onMessage({
        topic: packet.topic,
        payload,
        qos: packet.qos,
        retain: packet.retain,
        clientId: client.id,
        time,
        will: client.closed === true,
      });
      if (result.certificate) publish(result.certificate);
      if (result.rebirth) rebirth(result.rebirth);
      if (result.republishState && host && primary) publish(host.birth());
      mirror(result.mirror);
      const errors = result.violations.filter((v) => v.severity === "error");
      const base = {
        time,
        clientId: identity.clientId,
        username: identity.username,
        topic: packet.topic,
        payload,
        payloadSize: payload.byteLength,
        policy: "monitor" as const,
        channel: null,
        contract: null,
      };
      if (errors.length === 0) return { ...base, outcome: "valid", messageName: result.topic?.type };
      return {
        ...base,
        outcome: "invalid",
        kind: "sparkplug",
        messageName: result.topic?.type,
        errors: toErrors(result.violations),
      };
    },
    routes(app: ApiApp): void {
      app.get(
        operations.sparkplug.url,
        { config: { role: "read" }, schema: routeSchema(operations.sparkplug) },
        async () => ({
          hostId: options.hostId || null,
          primary: host !== null && primary,
          ...tracker.snapshot(),
          rebirths: [...rebirthsSent].reverse(),
        }),
      );
    },
    /** Clean stop: the primary host says it goes offline. */
    stop(): void {
      if (timer) clearTimeout(timer);
      if (host && primary) publish(host.death());
    },
  };
}

export type SparkplugBridge = ReturnType<typeof createSparkplugBridge>;
