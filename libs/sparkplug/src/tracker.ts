import { decodeSparkplug } from "./decode.js";
import { createViolation, type SparkplugRule, type ViolationContext } from "./rules.js";
import { parseSparkplugTopic } from "./topic.js";
import { onDeviceBirth, onNodeBirth } from "./tracker/births.js";
import { checkPayloadBasics, checkQosRetain } from "./tracker/checks.js";
import { onCommand, onData } from "./tracker/data.js";
import { onDeviceDeath, onNodeDeath } from "./tracker/deaths.js";
import { onState } from "./tracker/host-state.js";
import { expireGaps } from "./tracker/seq.js";
import { nextDeadline, onClientGone, onConnect, tick } from "./tracker/sessions.js";
import {
  createTrackerState,
  findNode,
  type Msg,
  newAcc,
  nodeFor,
  type TrackerState,
} from "./tracker/state.js";
import { deviceView, nodeView } from "./tracker/views.js";
import type {
  DeviceView,
  EdgeNodeView,
  GroupView,
  HostView,
  SparkplugResult,
  SparkplugTickResult,
} from "./types.js";

export interface SparkplugTrackerOptions {
  /**
   * Reorder Timeout (ms) [tck-id-operational-behavior-host-reordering-param]: how long a seq gap may
   * stay open before it is a violation and a rebirth request. 0 = at once.
   */
  reorderWindowMs: number;
  /** Least time between two rebirth requests to one edge node (ms). */
  rebirthMinIntervalMs: number;
  /** Clock (ms since epoch) for messages that carry no `time` and for `tick()` without argument. */
  now?: () => number;
  /**
   * After `onClientGone`, how long an edge node that is still online may take to deliver its NDEATH
   * (the broker's Will) before it is declared dead without one (ms). Default max(reorderWindowMs, 1000).
   */
  deathGraceMs?: number;
  /** Entries kept in each edge node's and device's birth/death history. Default 50. */
  historyLimit?: number;
  /** Ask for a rebirth when DATA holds an undeclared metric or changes a datatype. Default true. */
  rebirthOnModelMismatch?: boolean;
  /** This server's own Sparkplug host id: an `online: false` STATE for it sets `republishState`. */
  hostId?: string;
  /** Cap on the inflated size of compressed payloads (bytes). Default 16 MiB. */
  maxDecompressedBytes?: number;
}

/** One PUBLISH under `spBv1.0/`, as the broker saw it. */
export interface SparkplugIncoming {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
  /** The publishing client; null for messages the server publishes itself. */
  clientId?: string | null;
  /** Arrival time (ms since epoch); default `now()`. */
  time?: number;
  /** True when the broker is delivering this client's Will (aedes: `client.closed` in the publish event). */
  will?: boolean;
}

/** A client's CONNECT, so the tracker can check the NDEATH Will when that client births an edge node. */
export interface SparkplugConnectInfo {
  clientId: string;
  /** MQTT 3.1.1 Clean Session flag. */
  clean?: boolean;
  will?: { topic: string; payload: Uint8Array; qos: number; retain: boolean } | null;
  time?: number;
}

export interface SparkplugTracker {
  /** Record a client's CONNECT (optional; enables the Will, clean-session and bdSeq-increment checks). */
  onConnect(info: SparkplugConnectInfo): void;
  /** Check and apply one message. Never throws for bad input. */
  onMessage(msg: SparkplugIncoming): SparkplugResult;
  /**
   * The client's MQTT session ended (`clean`: it sent DISCONNECT). Edge nodes it birthed that are
   * still online get `deathGraceMs` to deliver their NDEATH; `tick()` declares them dead afterwards.
   */
  onClientGone(clientId: string, opts?: { clean?: boolean; time?: number }): SparkplugTickResult;
  /** Expire reorder windows and death grace periods due at `now`. Call it periodically or at `nextDeadline()`. */
  tick(now?: number): SparkplugTickResult;
  /** The earliest time at which `tick()` has something to do, if any. */
  nextDeadline(): number | undefined;
  snapshot(): { groups: GroupView[]; hosts: HostView[] };
  node(group: string, edgeNode: string): EdgeNodeView | undefined;
  device(group: string, edgeNode: string, device: string): DeviceView | undefined;
  hosts(): HostView[];
}

/**
 * A Sparkplug B 3.0 host-side state machine: fed with every PUBLISH under `spBv1.0/` (in the order the
 * broker received them) plus client connects and disconnects, it keeps groups, edge nodes and
 * devices with their metrics, checks the Sparkplug rules and says what the server should do.
 *
 * @example
 * const tracker = createSparkplugTracker({ reorderWindowMs: 2000, rebirthMinIntervalMs: 10_000 });
 * const r = tracker.onMessage({ topic, payload, qos: 0, retain: false, clientId: "welder-01" });
 * for (const v of r.violations) store(v);
 * if (r.rebirth) publish(r.rebirth.command);
 */
export function createSparkplugTracker(opts: SparkplugTrackerOptions): SparkplugTracker {
  const tr = createTrackerState(opts);
  return {
    onConnect: (info) => onConnect(tr, info),
    onMessage: (msg) => onMessage(tr, msg),
    onClientGone: (clientId, o) => onClientGone(tr, clientId, o),
    tick: (at) => tick(tr, at),
    nextDeadline: () => nextDeadline(tr),
    snapshot: () => ({
      groups: [...tr.groups.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([group, nodes]) => ({
          group,
          edgeNodes: [...nodes.values()].map(nodeView).sort((a, b) => (a.edgeNode < b.edgeNode ? -1 : 1)),
        })),
      hosts: [...tr.hosts.values()].map((h) => ({ ...h })),
    }),
    node: (group, edgeNode) => {
      const n = findNode(tr, group, edgeNode);
      return n ? nodeView(n) : undefined;
    },
    device: (group, edgeNode, device) => {
      const n = findNode(tr, group, edgeNode);
      const d = n?.devices.get(device);
      return n && d ? deviceView(n, d) : undefined;
    },
    hosts: () => [...tr.hosts.values()].map((h) => ({ ...h })),
  };
}

/**
 * Checks one PUBLISH and hands it to its message type's handler; the shared checks (QoS, retain,
 * decoding, seq window expiry) run here so each handler module sees a decoded `Msg`.
 */
function onMessage(tr: TrackerState, msg: SparkplugIncoming): SparkplugResult {
  const time = msg.time ?? tr.now();
  const clientId = msg.clientId ?? null;
  const parsed = parseSparkplugTopic(msg.topic, time);
  if (!parsed.ok) {
    return { violations: [{ ...parsed.violation, clientId }] };
  }
  if (parsed.topic.type === "STATE") return onState(tr, parsed.topic, msg, time, clientId);
  const t = parsed.topic;
  const acc = newAcc();
  const result: SparkplugResult = { topic: t, violations: acc.violations };
  const base: ViolationContext = {
    topic: msg.topic,
    time,
    message: "",
    type: t.type,
    group: t.group,
    edgeNode: t.edgeNode,
    clientId,
    ...(t.device !== undefined ? { device: t.device } : {}),
  };
  const flag = (rule: SparkplugRule, message: string, extra: Partial<ViolationContext> = {}): void => {
    acc.violations.push(createViolation(rule, { ...base, ...extra, message }));
  };

  checkQosRetain(t.type, msg, flag);

  const decoded = decodeSparkplug(msg.payload, {
    topic: msg.topic,
    type: t.type,
    clientId,
    time,
    ...(tr.opts.maxDecompressedBytes !== undefined
      ? { maxDecompressedBytes: tr.opts.maxDecompressedBytes }
      : {}),
  });
  acc.violations.push(
    ...decoded.violations.map((v) => ({
      ...v,
      group: t.group,
      edgeNode: t.edgeNode,
      ...(t.device !== undefined ? { device: t.device } : {}),
    })),
  );

  const isCommand = t.type === "NCMD" || t.type === "DCMD";
  const node = isCommand ? findNode(tr, t.group, t.edgeNode) : nodeFor(tr, t.group, t.edgeNode);
  if (node && !isCommand) {
    node.messages++;
    expireGaps(tr, node, time, acc);
  }
  if (decoded.ok) {
    const payload = decoded.payload;
    result.payload = payload;
    const seq = checkPayloadBasics(t.type, payload, flag);
    const m: Msg = { t, msg, time, clientId, payload, seq, flag };
    switch (t.type) {
      case "NBIRTH":
        onNodeBirth(tr, node!, m, acc, result);
        break;
      case "NDEATH":
        onNodeDeath(tr, node!, m, acc);
        break;
      case "DBIRTH":
        onDeviceBirth(tr, node!, m, acc, result);
        break;
      case "DDEATH":
        onDeviceDeath(tr, node!, m, acc);
        break;
      case "NDATA":
      case "DDATA":
        onData(tr, node!, m, acc);
        break;
      case "NCMD":
      case "DCMD":
        if (node) onCommand(node, m);
        break;
    }
  }
  if (node && !isCommand) node.violations += acc.violations.length;
  if (acc.rebirths[0]) result.rebirth = acc.rebirths[0];
  if (acc.mirror.length > 0) result.mirror = acc.mirror;
  if (acc.stale[0]) result.stale = acc.stale[0];
  return result;
}
