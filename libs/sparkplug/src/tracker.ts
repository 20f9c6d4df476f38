import { decodeSparkplug } from "./decode.js";
import { REBIRTH_METRIC, rebirthCommand } from "./host-application.js";
import { createViolation, type SparkplugRule, type ViolationContext } from "./rules.js";
import { certificateTopic, parseSparkplugTopic, sparkplugTopic } from "./topic.js";
import type {
  BirthInfo,
  DeathInfo,
  DeathReason,
  DeviceView,
  EdgeNodeView,
  GroupView,
  HistoryEntry,
  HostView,
  JsonValue,
  MetricQuality,
  MetricUpdate,
  MetricView,
  RebirthRequest,
  SparkplugDataTypeName,
  SparkplugEdgeMessageType,
  SparkplugEdgeTopic,
  SparkplugMetaDataJson,
  SparkplugMetricJson,
  SparkplugPayloadJson,
  SparkplugPropertyValueJson,
  SparkplugResult,
  SparkplugStateTopic,
  SparkplugTickResult,
  SparkplugViolation,
  StaleNotice,
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

interface MetricState {
  name: string;
  alias?: number | string;
  datatypeId: number;
  datatype: SparkplugDataTypeName;
  value: JsonValue;
  isNull: boolean;
  timestamp?: number;
  quality: MetricQuality;
  unit?: string;
  properties?: Record<string, SparkplugPropertyValueJson>;
  metadata?: SparkplugMetaDataJson;
  updatedAt: number;
}

interface Scope {
  metrics: Map<string, MetricState>;
  /** alias (as string) -> metric */
  aliases: Map<string, MetricState>;
}

interface DeviceState extends Scope {
  id: string;
  online: boolean;
  lastBirth?: BirthInfo;
  lastDeath?: DeathInfo;
  history: HistoryEntry[];
}

interface PendingSeq {
  deadline: number;
  /** The message whose seq revealed the gap. */
  opener: {
    topic: string;
    type: SparkplugEdgeMessageType;
    seq: number;
    time: number;
    clientId: string | null;
    payload: Uint8Array;
    device?: string;
  };
}

interface NodeState extends Scope {
  group: string;
  edgeNode: string;
  online: boolean;
  born: boolean;
  clientId?: string | null;
  birthConnId?: number;
  bdSeq?: number | string;
  pastBdSeqs: (number | string)[];
  expectedSeq?: number;
  pending: Map<number, PendingSeq>;
  lastBirth?: BirthInfo;
  lastDeath?: DeathInfo;
  devices: Map<string, DeviceState>;
  /** alias -> owner ("" = the edge node, else the device id) [tck-id-payloads-alias-uniqueness] */
  aliasOwners: Map<string, { owner: string; name: string }>;
  history: HistoryEntry[];
  rebirths: { requested: number; suppressed: number; lastRequestAt?: number; lastReason?: string };
  messages: number;
  violations: number;
  sessionEnd?: { deadline: number; clean: boolean; clientId: string };
}

interface ConnectionState {
  connId: number;
  time: number;
  clean?: boolean;
  will: SparkplugConnectInfo["will"];
  checked: boolean;
}

interface Acc {
  violations: SparkplugViolation[];
  mirror: MetricUpdate[];
  stale: StaleNotice[];
  rebirths: RebirthRequest[];
}

const SEQ_TYPES: ReadonlySet<string> = new Set(["NBIRTH", "DBIRTH", "NDATA", "DDATA", "DDEATH"]);
const TIMESTAMP_TYPES: ReadonlySet<string> = new Set([
  "NBIRTH",
  "DBIRTH",
  "NDATA",
  "DDATA",
  "DDEATH",
  "NCMD",
  "DCMD",
]);
const METRIC_TIMESTAMP_TYPES: ReadonlySet<string> = new Set(["NBIRTH", "DBIRTH", "NDATA", "DDATA"]);
const PAST_BDSEQS = 8;
const LISTED = 5;

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
  const now = opts.now ?? Date.now;
  const window = Math.max(0, opts.reorderWindowMs);
  const deathGrace = opts.deathGraceMs ?? Math.max(window, 1000);
  const historyLimit = opts.historyLimit ?? 50;
  const rebirthOnModelMismatch = opts.rebirthOnModelMismatch ?? true;

  const groups = new Map<string, Map<string, NodeState>>();
  const hosts = new Map<string, HostView>();
  const connections = new Map<string, ConnectionState>();
  /** Nodes with an open reorder window or death grace period. */
  const timed = new Set<NodeState>();
  let connSeq = 0;

  const newAcc = (): Acc => ({ violations: [], mirror: [], stale: [], rebirths: [] });

  function findNode(group: string, edgeNode: string): NodeState | undefined {
    return groups.get(group)?.get(edgeNode);
  }

  function nodeFor(group: string, edgeNode: string): NodeState {
    let g = groups.get(group);
    if (!g) {
      g = new Map();
      groups.set(group, g);
    }
    let n = g.get(edgeNode);
    if (!n) {
      n = {
        group,
        edgeNode,
        online: false,
        born: false,
        pastBdSeqs: [],
        pending: new Map(),
        devices: new Map(),
        aliasOwners: new Map(),
        metrics: new Map(),
        aliases: new Map(),
        history: [],
        rebirths: { requested: 0, suppressed: 0 },
        messages: 0,
        violations: 0,
      };
      g.set(edgeNode, n);
    }
    return n;
  }

  function pushHistory(list: HistoryEntry[], entry: HistoryEntry): void {
    list.push(entry);
    if (list.length > historyLimit) list.splice(0, list.length - historyLimit);
  }

  function update(
    node: NodeState,
    device: string | undefined,
    m: MetricState,
    quality: MetricQuality,
    timestamp: number,
  ): MetricUpdate {
    const u: MetricUpdate = {
      group: node.group,
      edgeNode: node.edgeNode,
      name: m.name,
      datatype: m.datatype,
      value: m.value,
      isNull: m.isNull,
      timestamp,
      quality,
    };
    if (device !== undefined) u.device = device;
    if (m.unit !== undefined) u.unit = m.unit;
    return u;
  }

  /** Mark every metric of a scope stale [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale]. */
  function staleScope(
    node: NodeState,
    device: string | undefined,
    scope: Scope,
    time: number,
    acc: Acc,
  ): void {
    for (const m of scope.metrics.values()) {
      if (m.quality === "stale") continue;
      m.quality = "stale";
      m.updatedAt = time;
      acc.mirror.push(update(node, device, m, "stale", time));
    }
  }

  function requestRebirth(node: NodeState, reason: RebirthRequest["reason"], time: number, acc: Acc): void {
    const last = node.rebirths.lastRequestAt;
    if (last !== undefined && time - last < opts.rebirthMinIntervalMs) {
      node.rebirths.suppressed++;
      return;
    }
    node.rebirths.requested++;
    node.rebirths.lastRequestAt = time;
    node.rebirths.lastReason = reason;
    pushHistory(node.history, { time, event: "rebirth-requested", reason });
    acc.rebirths.push({
      group: node.group,
      edgeNode: node.edgeNode,
      reason,
      time,
      command: rebirthCommand(node.group, node.edgeNode, { timestamp: time }),
    });
  }

  function killDevice(node: NodeState, dev: DeviceState, reason: DeathReason, time: number, acc: Acc): void {
    dev.online = false;
    dev.lastDeath = { time, reason };
    pushHistory(dev.history, { time, event: "death", reason });
    staleScope(node, dev.id, dev, time, acc);
  }

  /**
   * [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline] and its
   * devices with it [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline].
   */
  function killNode(
    node: NodeState,
    reason: DeathReason,
    time: number,
    bdSeq: number | string | undefined,
    acc: Acc,
  ): void {
    node.online = false;
    node.lastDeath = { time, reason, ...(bdSeq !== undefined ? { bdSeq } : {}) };
    pushHistory(node.history, { time, event: "death", reason, ...(bdSeq !== undefined ? { bdSeq } : {}) });
    node.pending.clear();
    node.sessionEnd = undefined;
    timed.delete(node);
    staleScope(node, undefined, node, time, acc);
    const devices: string[] = [];
    for (const dev of node.devices.values()) {
      if (!dev.online) continue;
      devices.push(dev.id);
      killDevice(node, dev, "node-death", time, acc);
    }
    acc.stale.push({ group: node.group, edgeNode: node.edgeNode, reason, time, devices });
  }

  /** Reorder windows that ran out: one seq-gap violation and a rebirth request [tck-id-operational-behavior-host-reordering-rebirth]. */
  function expireGaps(node: NodeState, time: number, acc: Acc): void {
    if (node.pending.size === 0) return;
    const expired = [...node.pending.entries()].filter(([, p]) => p.deadline <= time);
    if (expired.length === 0) return;
    expired.sort((a, b) => a[1].deadline - b[1].deadline || a[0] - b[0]);
    const { opener } = expired[0]![1];
    const missing = expired.map(([seq]) => seq);
    acc.violations.push(
      createViolation("seq-gap", {
        topic: opener.topic,
        type: opener.type,
        time: opener.time,
        group: node.group,
        edgeNode: node.edgeNode,
        ...(opener.device !== undefined ? { device: opener.device } : {}),
        clientId: opener.clientId,
        payload: opener.payload,
        message:
          `expected seq ${missing.join(", ")} before seq ${opener.seq}; ` +
          `not received within the reorder window of ${window} ms, a rebirth is requested`,
      }),
    );
    // The rebirth resynchronises the whole session: forget every open gap of this node.
    node.pending.clear();
    if (!node.sessionEnd) timed.delete(node);
    requestRebirth(node, "seq-gap", time, acc);
  }

  function endSession(node: NodeState, time: number, acc: Acc): void {
    const end = node.sessionEnd;
    if (!end || end.deadline > time) return;
    node.sessionEnd = undefined;
    if (node.pending.size === 0) timed.delete(node);
    if (!node.online || node.clientId !== end.clientId) return;
    const topic = sparkplugTopic(node.group, "NDEATH", node.edgeNode);
    const ctx = {
      topic,
      type: "NDEATH" as const,
      time,
      group: node.group,
      edgeNode: node.edgeNode,
      clientId: end.clientId,
    };
    acc.violations.push(
      end.clean
        ? createViolation("disconnect-without-ndeath", {
            ...ctx,
            message: `expected an NDEATH from client "${end.clientId}" before its DISCONNECT; the edge node is declared dead without one`,
          })
        : createViolation("will-missing", {
            ...ctx,
            message: `the MQTT session of client "${end.clientId}" broke and no NDEATH Will arrived within ${deathGrace} ms; expected the broker to deliver the edge node's NDEATH`,
          }),
    );
    killNode(node, "session-ended", time, undefined, acc);
  }

  // ---- message handling -------------------------------------------------------------------

  function onMessage(msg: SparkplugIncoming): SparkplugResult {
    const time = msg.time ?? now();
    const clientId = msg.clientId ?? null;
    const parsed = parseSparkplugTopic(msg.topic, time);
    if (!parsed.ok) {
      return { violations: [{ ...parsed.violation, clientId }] };
    }
    if (parsed.topic.type === "STATE") return onState(parsed.topic, msg, time, clientId);
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
      ...(opts.maxDecompressedBytes !== undefined ? { maxDecompressedBytes: opts.maxDecompressedBytes } : {}),
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
    const node = isCommand ? findNode(t.group, t.edgeNode) : nodeFor(t.group, t.edgeNode);
    if (node && !isCommand) {
      node.messages++;
      expireGaps(node, time, acc);
    }
    if (decoded.ok) {
      const payload = decoded.payload;
      result.payload = payload;
      const seq = checkPayloadBasics(t.type, payload, flag);
      const m: Msg = { t, msg, time, clientId, payload, seq, flag };
      switch (t.type) {
        case "NBIRTH":
          onNodeBirth(node!, m, acc, result);
          break;
        case "NDEATH":
          onNodeDeath(node!, m, acc);
          break;
        case "DBIRTH":
          onDeviceBirth(node!, m, acc, result);
          break;
        case "DDEATH":
          onDeviceDeath(node!, m, acc);
          break;
        case "NDATA":
        case "DDATA":
          onData(node!, m, acc);
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

  interface Msg {
    t: SparkplugEdgeTopic;
    msg: SparkplugIncoming;
    time: number;
    clientId: string | null;
    payload: SparkplugPayloadJson;
    seq: number | undefined;
    flag: (rule: SparkplugRule, message: string, extra?: Partial<ViolationContext>) => void;
  }

  function checkQosRetain(type: SparkplugEdgeMessageType, msg: SparkplugIncoming, flag: Msg["flag"]): void {
    if (type === "NDEATH") {
      // [tck-id-payloads-ndeath-will-message-qos] [tck-id-payloads-ndeath-will-message-retain]
      if (msg.qos !== 1)
        flag("mqtt-qos", `expected NDEATH at QoS 1, got QoS ${msg.qos}${msg.will ? " (MQTT Will)" : ""}`);
      if (msg.retain) flag("mqtt-retain", "expected NDEATH with retain false, got retain true");
      return;
    }
    // [tck-id-topics-nbirth-mqtt] [tck-id-topics-ndata-mqtt] [tck-id-topics-dbirth-mqtt] [tck-id-topics-ddata-mqtt]
    // [tck-id-topics-ddeath-mqtt] [tck-id-topics-ncmd-mqtt] [tck-id-topics-dcmd-mqtt]
    if (msg.qos !== 0) flag("mqtt-qos", `expected ${type} at QoS 0, got QoS ${msg.qos}`);
    if (msg.retain) flag("mqtt-retain", `expected ${type} with retain false, got retain true`);
  }

  /** Checks every message type shares; returns the seq when it is usable (0..255). */
  function checkPayloadBasics(
    type: SparkplugEdgeMessageType,
    p: SparkplugPayloadJson,
    flag: Msg["flag"],
  ): number | undefined {
    let seq: number | undefined;
    if (SEQ_TYPES.has(type)) {
      // [tck-id-payloads-sequence-num-always-included]
      if (p.seq === undefined) flag("seq-missing", `expected a seq in the ${type} payload; none given`);
      else if (typeof p.seq !== "number" || p.seq < 0 || p.seq > 255) {
        flag("seq-range", `expected seq between 0 and 255, got ${p.seq}`);
      } else seq = p.seq;
    } else if (type === "NDEATH" && p.seq !== undefined) {
      // [tck-id-topics-ndeath-seq]
      flag("ndeath-seq", `expected no seq in NDEATH, got seq ${p.seq}`);
    } else if ((type === "NCMD" || type === "DCMD") && p.seq !== undefined) {
      // [tck-id-payloads-ncmd-seq] [tck-id-payloads-dcmd-seq]
      flag("cmd-seq", `expected no seq in ${type}, got seq ${p.seq}`);
    }
    if (TIMESTAMP_TYPES.has(type) && p.timestamp === undefined) {
      flag("timestamp-missing", `expected a payload timestamp in ${type} (ms since epoch, UTC); none given`);
    }
    if (METRIC_TIMESTAMP_TYPES.has(type)) {
      // [tck-id-payloads-name-birth-data-requirement]
      const missing = p.metrics.filter((m) => m.timestamp === undefined).map(label);
      if (missing.length > 0) {
        flag(
          "metric-timestamp-missing",
          `expected a timestamp on every metric in ${type}; ${missing.length} of ${p.metrics.length} have none: ${listed(missing)}`,
          { metric: missing[0]! },
        );
      }
    }
    return seq;
  }

  /** Birth metric checks shared by NBIRTH and DBIRTH; returns the new metric scope. */
  function birthScope(m: Msg, owner: string, node: NodeState): Scope {
    const type = m.t.type;
    const scope: Scope = { metrics: new Map(), aliases: new Map() };
    const incomplete: string[] = [];
    const duplicates: string[] = [];
    for (const [i, metric] of m.payload.metrics.entries()) {
      // [tck-id-topics-nbirth-metrics] [tck-id-topics-dbirth-metrics]: name, datatype, current value
      const lacks: string[] = [];
      if (metric.name === undefined || metric.name === "") lacks.push("a name");
      if (metric.datatypeId === 0) lacks.push("a datatype");
      if (!metric.hasValue) lacks.push("a value (or is_null)");
      if (lacks.length > 0)
        incomplete.push(`#${i + 1} ${metric.name ? `"${metric.name}" ` : ""}lacks ${lacks.join(" and ")}`);
      if (metric.name === undefined || metric.name === "") continue;
      const state = metricState(metric, m.payload, m.time);
      scope.metrics.set(metric.name, state);
      if (metric.alias !== undefined) {
        const key = String(metric.alias);
        const taken = scope.aliases.get(key);
        const other = node.aliasOwners.get(key);
        if (taken && taken.name !== metric.name) {
          duplicates.push(
            `alias ${key} of "${metric.name}" is already used by "${taken.name}" in this ${type}`,
          );
        } else if (other && other.owner !== owner) {
          const where =
            other.owner === "" ? "the edge node's NBIRTH" : `the DBIRTH of device "${other.owner}"`;
          duplicates.push(`alias ${key} of "${metric.name}" is already used by "${other.name}" in ${where}`);
        } else scope.aliases.set(key, state);
      }
    }
    if (incomplete.length > 0) {
      m.flag(
        "birth-metric-incomplete",
        `expected every ${type} metric to carry a name, a datatype and its current value; ${listed(incomplete)}`,
      );
    }
    if (duplicates.length > 0) {
      m.flag(
        "alias-duplicate",
        `expected aliases unique across the edge node's metrics; ${listed(duplicates)}`,
      );
    }
    return scope;
  }

  function onNodeBirth(node: NodeState, m: Msg, acc: Acc, result: SparkplugResult): void {
    const { payload, time, clientId, flag } = m;
    // [tck-id-topics-nbirth-seq-num] [tck-id-payloads-sequence-num-zero-nbirth]
    if (m.seq !== undefined && m.seq !== 0) flag("seq-nbirth-zero", `expected NBIRTH seq 0, got ${m.seq}`);

    // [tck-id-topics-nbirth-bdseq-included]
    const bdSeq = bdSeqOf(payload);
    if (bdSeq === undefined)
      flag("bdseq-missing", 'expected a "bdSeq" metric (UInt64) in the NBIRTH; none given');

    // [tck-id-topics-nbirth-rebirth-metric]
    const rebirth = payload.metrics.find((x) => x.name === REBIRTH_METRIC);
    if (!rebirth)
      flag(
        "rebirth-metric",
        `expected the metric "${REBIRTH_METRIC}" (Boolean, false) in the NBIRTH; none given`,
      );
    else {
      if (rebirth.datatype !== "Boolean") {
        flag("rebirth-metric", `expected "${REBIRTH_METRIC}" of datatype Boolean, got ${rebirth.datatype}`, {
          metric: REBIRTH_METRIC,
        });
      } else if (rebirth.value !== false) {
        flag(
          "rebirth-metric",
          `expected "${REBIRTH_METRIC}" = false in the NBIRTH, got ${JSON.stringify(rebirth.value)}`,
          { metric: REBIRTH_METRIC },
        );
      }
      if (rebirth.alias !== undefined) {
        flag("rebirth-metric-alias", `expected no alias on "${REBIRTH_METRIC}", got alias ${rebirth.alias}`, {
          metric: REBIRTH_METRIC,
        });
      }
    }

    // The client's CONNECT, once per connection: Will topic, QoS, retain, bdSeq; clean session.
    const conn = clientId !== null ? connections.get(clientId) : undefined;
    if (conn && !conn.checked) {
      conn.checked = true;
      checkConnect(conn, m, bdSeq);
    }

    // bdSeq across sessions [tck-id-topics-nbirth-bdseq-increment] [tck-id-operational-behavior-data-commands-rebirth-action-3]
    const sameSession = conn ? node.birthConnId === conn.connId : node.online && node.clientId === clientId;
    if (node.born && bdSeq !== undefined && node.bdSeq !== undefined) {
      if (sameSession && String(bdSeq) !== String(node.bdSeq)) {
        flag(
          "bdseq-rebirth",
          `expected the rebirth inside the same MQTT session to repeat bdSeq ${node.bdSeq}, got ${bdSeq}`,
        );
      } else if (!sameSession && conn && !bdSeqFollows(node.bdSeq, bdSeq)) {
        flag(
          "bdseq-increment",
          `expected bdSeq ${nextBdSeq(node.bdSeq)} (previous session ${node.bdSeq} + 1) or 0 after a new CONNECT, got ${bdSeq}`,
        );
      }
    }

    // [tck-id-topic-structure-namespace-unique-edge-node-descriptor]
    if (node.online && node.clientId && clientId !== null && node.clientId !== clientId && !node.sessionEnd) {
      flag(
        "edge-node-id-duplicate",
        `expected one MQTT client per edge node; "${node.clientId}" is still connected as ${node.group}/${node.edgeNode} and "${clientId}" births it too`,
      );
    }

    const scope = birthScope(m, "", node);

    // Devices stay stale until their new DBIRTH (spec §4.2.1 NBIRTH payload).
    for (const dev of node.devices.values()) if (dev.online) killDevice(node, dev, "node-rebirth", time, acc);
    for (const [name, old] of node.metrics) {
      if (!scope.metrics.has(name) && old.quality !== "stale")
        acc.mirror.push(update(node, undefined, old, "stale", time));
    }
    const wasOnline = node.online;
    if (node.bdSeq !== undefined && (bdSeq === undefined || String(bdSeq) !== String(node.bdSeq))) {
      node.pastBdSeqs.push(node.bdSeq);
      if (node.pastBdSeqs.length > PAST_BDSEQS) node.pastBdSeqs.shift();
    }
    node.metrics = scope.metrics;
    node.aliases = scope.aliases;
    node.aliasOwners = new Map([...scope.aliases].map(([k, v]) => [k, { owner: "", name: v.name }]));
    node.online = true;
    node.born = true;
    node.clientId = clientId;
    if (conn) node.birthConnId = conn.connId;
    else delete node.birthConnId;
    if (bdSeq !== undefined) node.bdSeq = bdSeq;
    else delete node.bdSeq;
    node.expectedSeq = ((m.seq ?? 0) + 1) % 256;
    node.pending.clear();
    node.sessionEnd = undefined;
    timed.delete(node);
    node.lastBirth = birthInfo(m, bdSeq);
    pushHistory(node.history, {
      time,
      event: "birth",
      ...(wasOnline ? { reason: "rebirth" } : {}),
      ...(bdSeq !== undefined ? { bdSeq } : {}),
      ...(payload.seq !== undefined ? { seq: payload.seq } : {}),
    });
    for (const s of scope.metrics.values())
      acc.mirror.push(update(node, undefined, s, s.quality, s.timestamp ?? time));
    // Sparkplug-aware MQTT server [tck-id-conformance-mqtt-aware-store] [tck-id-conformance-mqtt-aware-nbirth-mqtt-topic]
    // [tck-id-conformance-mqtt-aware-nbirth-mqtt-retain]
    result.certificate = {
      topic: certificateTopic(node.group, node.edgeNode),
      payload: m.msg.payload,
      qos: 1,
      retain: true,
    };
  }

  function checkConnect(conn: ConnectionState, m: Msg, bdSeq: number | string | undefined): void {
    const willTopic = sparkplugTopic(m.t.group, "NDEATH", m.t.edgeNode);
    const who = `client "${m.clientId}"`;
    // [tck-id-principles-persistence-clean-session-311]
    if (conn.clean === false)
      m.flag("clean-session", `expected ${who} to connect with Clean Session = true, got false`);
    const will = conn.will;
    // [tck-id-payloads-ndeath-will-message]
    if (!will) {
      m.flag(
        "will-missing",
        `expected the CONNECT of ${who} to register the Will ${willTopic}; it has no Will`,
      );
      return;
    }
    if (will.topic !== willTopic) {
      m.flag(
        "will-missing",
        `expected the CONNECT of ${who} to register the Will ${willTopic}, got Will topic "${will.topic}"`,
      );
      return;
    }
    // [tck-id-message-flow-edge-node-birth-publish-will-message-qos]
    if (will.qos !== 1)
      m.flag("will-qos", `expected the NDEATH Will of ${who} at QoS 1, got QoS ${will.qos}`);
    // [tck-id-message-flow-edge-node-birth-publish-will-message-will-retained]
    if (will.retain)
      m.flag("will-retain", `expected the NDEATH Will of ${who} with retain false, got retain true`);
    // [tck-id-topics-nbirth-bdseq-matching]
    const decoded = decodeSparkplug(will.payload);
    const willBdSeq = decoded.ok ? bdSeqOf(decoded.payload) : undefined;
    if (bdSeq !== undefined && willBdSeq !== undefined && String(willBdSeq) !== String(bdSeq)) {
      m.flag(
        "bdseq-will-mismatch",
        `expected NBIRTH bdSeq ${willBdSeq} (the bdSeq of the CONNECT's NDEATH Will), got ${bdSeq}`,
      );
    }
  }

  function onNodeDeath(node: NodeState, m: Msg, acc: Acc): void {
    const { payload, time, flag } = m;
    const bdSeq = bdSeqOf(payload);
    // [tck-id-topics-ndeath-payload]
    if (bdSeq === undefined) flag("bdseq-missing", 'expected the "bdSeq" metric in the NDEATH; none given');
    const others = payload.metrics.filter((x) => x.name !== "bdSeq").map(label);
    if (others.length > 0)
      flag("ndeath-payload", `expected only the bdSeq metric in the NDEATH, also got ${listed(others)}`);

    const reason: DeathReason = m.msg.will || node.sessionEnd ? "will" : "ndeath";
    if (!node.online) {
      pushHistory(node.history, {
        time,
        event: "death-ignored",
        reason: "edge node already offline",
        ...(bdSeq !== undefined ? { bdSeq } : {}),
      });
      if (!node.born && !node.lastDeath)
        node.lastDeath = { time, reason, ...(bdSeq !== undefined ? { bdSeq } : {}) };
      return;
    }
    // Only the NDEATH of the current session kills the node [tck-id-payloads-ndeath-bdseq]: a late Will of an
    // earlier session (its bdSeq is an older one) is expected and ignored.
    if (bdSeq !== undefined && node.bdSeq !== undefined && String(bdSeq) !== String(node.bdSeq)) {
      const earlier = node.pastBdSeqs.some((b) => String(b) === String(bdSeq));
      pushHistory(node.history, {
        time,
        event: "death-ignored",
        reason: earlier ? "NDEATH of an earlier session" : "bdSeq does not match the NBIRTH",
        bdSeq,
      });
      if (!earlier) {
        flag(
          "bdseq-mismatch",
          `expected NDEATH bdSeq ${node.bdSeq} (from the last NBIRTH), got ${bdSeq}; the edge node stays online`,
        );
      }
      return;
    }
    killNode(node, reason, time, bdSeq, acc);
  }

  /** NDATA/DBIRTH/DDATA/DDEATH need a live edge node; otherwise report and ask for a rebirth. */
  function requireBirth(node: NodeState, m: Msg, acc: Acc): boolean {
    if (node.online) return true;
    const neverSeen = !node.born && !node.lastDeath;
    const why = neverSeen
      ? "no NBIRTH seen since this host started (it may have joined late)"
      : `the edge node is offline since ${new Date(node.lastDeath?.time ?? m.time).toISOString()} (${node.lastDeath?.reason ?? "unknown"})`;
    m.flag(
      "data-before-birth",
      `expected an NBIRTH before ${m.t.type}: ${why}; a rebirth is requested`,
      neverSeen ? { severity: "warning" } : {},
    );
    requestRebirth(node, "data-before-birth", m.time, acc);
    return false;
  }

  function checkSeq(node: NodeState, m: Msg, acc: Acc): void {
    const seq = m.seq;
    if (seq === undefined) return;
    const expected = node.expectedSeq;
    if (expected === undefined || seq === expected) {
      node.pending.delete(seq);
      node.expectedSeq = (seq + 1) % 256;
      return;
    }
    // [tck-id-operational-behavior-host-reordering-success]: a late message fills its gap in time.
    if (node.pending.delete(seq)) {
      if (node.pending.size === 0 && !node.sessionEnd) timed.delete(node);
      return;
    }
    const ahead = (seq - expected + 256) % 256;
    if (ahead < 128) {
      // [tck-id-operational-behavior-host-reordering-start]: open a reorder window for each missing seq.
      const opener: PendingSeq["opener"] = {
        topic: m.msg.topic,
        type: m.t.type,
        seq,
        time: m.time,
        clientId: m.clientId,
        payload: m.msg.payload,
        ...(m.t.device !== undefined ? { device: m.t.device } : {}),
      };
      for (let i = 0; i < ahead; i++)
        node.pending.set((expected + i) % 256, { deadline: m.time + window, opener });
      node.expectedSeq = (seq + 1) % 256;
      timed.add(node);
      if (window === 0) expireGaps(node, m.time, acc);
      return;
    }
    m.flag(
      "seq-order",
      `expected seq ${expected}, got ${seq}: a repeated seq or one older than the reorder window`,
    );
  }

  function onDeviceBirth(node: NodeState, m: Msg, acc: Acc, result: SparkplugResult): void {
    if (!requireBirth(node, m, acc)) return;
    checkSeq(node, m, acc);
    const id = m.t.device!;
    let dev = node.devices.get(id);
    // A repeated DBIRTH replaces the device's aliases.
    for (const [k, v] of node.aliasOwners) if (v.owner === id) node.aliasOwners.delete(k);
    const scope = birthScope(m, id, node);
    if (!dev) {
      dev = { id, online: false, metrics: new Map(), aliases: new Map(), history: [] };
      node.devices.set(id, dev);
    }
    for (const [name, old] of dev.metrics) {
      if (!scope.metrics.has(name) && old.quality !== "stale")
        acc.mirror.push(update(node, id, old, "stale", m.time));
    }
    const wasOnline = dev.online;
    dev.metrics = scope.metrics;
    dev.aliases = scope.aliases;
    for (const [k, v] of scope.aliases) node.aliasOwners.set(k, { owner: id, name: v.name });
    dev.online = true;
    dev.lastBirth = birthInfo(m, undefined);
    pushHistory(dev.history, {
      time: m.time,
      event: "birth",
      ...(wasOnline ? { reason: "rebirth" } : {}),
      ...(m.payload.seq !== undefined ? { seq: m.payload.seq } : {}),
    });
    for (const s of scope.metrics.values())
      acc.mirror.push(update(node, id, s, s.quality, s.timestamp ?? m.time));
    // [tck-id-conformance-mqtt-aware-dbirth-mqtt-topic] [tck-id-conformance-mqtt-aware-dbirth-mqtt-retain]
    result.certificate = {
      topic: certificateTopic(node.group, node.edgeNode, id),
      payload: m.msg.payload,
      qos: 1,
      retain: true,
    };
  }

  function onDeviceDeath(node: NodeState, m: Msg, acc: Acc): void {
    if (!requireBirth(node, m, acc)) return;
    checkSeq(node, m, acc);
    const id = m.t.device!;
    const dev = node.devices.get(id);
    if (!dev?.online) {
      if (dev)
        pushHistory(dev.history, { time: m.time, event: "death-ignored", reason: "device already offline" });
      return;
    }
    // Offline and stale "using the timestamp in the DDEATH payload"
    // [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline]
    // [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale]
    const when = m.payload.timestamp ?? m.time;
    killDevice(node, dev, "ddeath", when, acc);
    acc.stale.push({ group: node.group, edgeNode: node.edgeNode, device: id, reason: "ddeath", time: when });
  }

  function onData(node: NodeState, m: Msg, acc: Acc): void {
    if (!requireBirth(node, m, acc)) return;
    checkSeq(node, m, acc);
    let scope: Scope = node;
    const deviceId = m.t.device;
    if (deviceId !== undefined) {
      const dev = node.devices.get(deviceId);
      if (!dev?.online) {
        const why = dev
          ? `device "${deviceId}" is offline (${dev.lastDeath?.reason ?? "unknown"})`
          : `no DBIRTH seen for device "${deviceId}" in this session`;
        m.flag("device-data-before-birth", `expected a DBIRTH before DDATA: ${why}; a rebirth is requested`);
        requestRebirth(node, "device-data-before-birth", m.time, acc);
        return;
      }
      scope = dev;
    }
    const mismatch = resolveMetrics(scope, m, (state, metric) => {
      // Historical values do not replace the current one.
      if (metric.isHistorical) return;
      const ts = metric.timestamp ?? m.payload.timestamp ?? m.time;
      // A value older than the one held (reordered delivery) does not replace it either.
      if (state.timestamp !== undefined && ts < state.timestamp) return;
      state.value = metric.value;
      state.isNull = metric.isNull;
      state.timestamp = ts;
      if (metric.properties) {
        state.properties = { ...state.properties, ...metric.properties };
        state.unit = unitOf(state.properties);
      }
      state.quality = qualityOf(state.properties);
      state.updatedAt = m.time;
      acc.mirror.push(update(node, deviceId, state, state.quality, ts));
    });
    if (mismatch && rebirthOnModelMismatch) requestRebirth(node, "model-mismatch", m.time, acc);
  }

  function onCommand(node: NodeState, m: Msg): void {
    if (!node.online) return;
    let scope: Scope = node;
    if (m.t.device !== undefined) {
      const dev = node.devices.get(m.t.device);
      if (!dev?.online) return;
      scope = dev;
    }
    // For commands, naming a declared metric is a SHOULD [tck-id-operational-behavior-data-commands-ncmd-metric-name].
    resolveMetrics(
      scope,
      m,
      () => {},
      (metric) => metric.name === REBIRTH_METRIC,
      "warning",
    );
  }

  /**
   * Match each metric of a DATA/CMD message with its birth declaration, by alias or name; report
   * undeclared metrics and changed datatypes. Returns true when the host's model is out of date.
   */
  function resolveMetrics(
    scope: Scope,
    m: Msg,
    apply: (state: MetricState, metric: SparkplugMetricJson) => void,
    skip: (metric: SparkplugMetricJson) => boolean = () => false,
    undeclaredSeverity?: "warning",
  ): boolean {
    const birth = m.t.device === undefined ? "NBIRTH" : "DBIRTH";
    const undeclared: string[] = [];
    const changed: string[] = [];
    const named: string[] = [];
    const nameless: string[] = [];
    for (const [i, metric] of m.payload.metrics.entries()) {
      if (skip(metric)) continue;
      let state: MetricState | undefined;
      if (metric.alias !== undefined) {
        state = scope.aliases.get(String(metric.alias));
        if (!state) {
          undeclared.push(`alias ${metric.alias}${metric.name ? ` ("${metric.name}")` : ""}`);
          continue;
        }
        // [tck-id-payloads-alias-data-cmd-requirement]
        if (metric.name !== undefined) named.push(`"${metric.name}" (alias ${metric.alias})`);
      } else if (metric.name !== undefined && metric.name !== "") {
        state = scope.metrics.get(metric.name);
        if (!state) {
          undeclared.push(`"${metric.name}"`);
          continue;
        }
        if (state.alias !== undefined) named.push(`"${metric.name}" (alias ${state.alias})`);
      } else {
        // [tck-id-payloads-name-requirement]
        nameless.push(`#${i + 1}`);
        continue;
      }
      if (metric.datatypeId !== 0 && metric.datatypeId !== state.datatypeId) {
        changed.push(`"${state.name}": ${state.datatype} in the ${birth}, ${metric.datatype} here`);
        continue;
      }
      apply(state, metric);
    }
    if (undeclared.length > 0) {
      m.flag(
        "metric-undeclared",
        `expected only metrics declared in the ${birth}; ${undeclared.length} not declared: ${listed(undeclared)}`,
        { metric: undeclared[0]!, ...(undeclaredSeverity ? { severity: undeclaredSeverity } : {}) },
      );
    }
    if (changed.length > 0) {
      m.flag(
        "metric-datatype-changed",
        `expected each metric to keep its ${birth} datatype; ${listed(changed)}`,
      );
    }
    if (named.length > 0) {
      m.flag(
        "data-name-with-alias",
        `expected alias-only metrics (the ${birth} declared aliases), got names on ${listed(named)}`,
      );
    }
    if (nameless.length > 0) {
      m.flag(
        "metric-name-missing",
        `expected every metric to carry a name or an alias; metrics ${listed(nameless)} have neither`,
      );
    }
    return undeclared.length > 0 || changed.length > 0;
  }

  function onState(
    t: SparkplugStateTopic,
    msg: SparkplugIncoming,
    time: number,
    clientId: string | null,
  ): SparkplugResult {
    const result: SparkplugResult = { topic: t, violations: [] };
    const ctx = { topic: msg.topic, time, type: "STATE" as const, hostId: t.hostId, clientId };
    const text = Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.byteLength).toString(
      "utf8",
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const ok =
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as { online?: unknown }).online === "boolean" &&
      typeof (parsed as { timestamp?: unknown }).timestamp === "number" &&
      Number.isFinite((parsed as { timestamp: number }).timestamp);
    const online = ok ? (parsed as { online: boolean }).online : true;
    const death = (id: string, birthId: string): string => (online ? birthId : id);
    // [tck-id-host-topic-phid-birth-qos] [tck-id-host-topic-phid-death-qos]
    if (msg.qos !== 1) {
      result.violations.push({
        ...createViolation("mqtt-qos", { ...ctx, message: `expected STATE at QoS 1, got QoS ${msg.qos}` }),
        conformance: death("tck-id-host-topic-phid-death-qos", "tck-id-host-topic-phid-birth-qos"),
      });
    }
    // [tck-id-host-topic-phid-birth-retain] [tck-id-host-topic-phid-death-retain]
    if (!msg.retain) {
      result.violations.push({
        ...createViolation("mqtt-retain", {
          ...ctx,
          message: "expected STATE with retain true, got retain false",
        }),
        conformance: death("tck-id-host-topic-phid-death-retain", "tck-id-host-topic-phid-birth-retain"),
      });
    }
    if (!ok) {
      // [tck-id-host-topic-phid-birth-payload] [tck-id-host-topic-phid-death-payload]
      const legacy = /^(ONLINE|OFFLINE)$/.test(text.trim()) ? " (the Sparkplug 2.2 form)" : "";
      result.violations.push(
        createViolation("state-payload", {
          ...ctx,
          message: `expected UTF-8 JSON {"online": true|false, "timestamp": <ms since epoch>}, got ${JSON.stringify(text.slice(0, 80))}${legacy}`,
        }),
      );
      return result;
    }
    const state = { hostId: t.hostId, online, timestamp: (parsed as { timestamp: number }).timestamp };
    result.state = state;
    const prev = hosts.get(t.hostId);
    // An older STATE (by its timestamp) than the one held is stale news.
    if (!prev || state.timestamp >= prev.timestamp) {
      hosts.set(t.hostId, { hostId: t.hostId, online, timestamp: state.timestamp, time, clientId });
    }
    // [tck-id-message-flow-hid-sparkplug-state-message-delivered]: our own host reported offline.
    if (opts.hostId !== undefined && t.hostId === opts.hostId && !online) result.republishState = true;
    return result;
  }

  // ---- sessions and time ------------------------------------------------------------------

  function onConnect(info: SparkplugConnectInfo): void {
    connections.set(info.clientId, {
      connId: ++connSeq,
      time: info.time ?? now(),
      ...(info.clean !== undefined ? { clean: info.clean } : {}),
      will: info.will ?? null,
      checked: false,
    });
  }

  function onClientGone(clientId: string, o: { clean?: boolean; time?: number } = {}): SparkplugTickResult {
    const time = o.time ?? now();
    connections.delete(clientId);
    for (const g of groups.values()) {
      for (const node of g.values()) {
        if (!node.online || node.clientId !== clientId) continue;
        node.sessionEnd = { deadline: time + deathGrace, clean: o.clean ?? false, clientId };
        timed.add(node);
      }
    }
    return deathGrace === 0 ? tick(time) : { violations: [], rebirths: [], mirror: [], stale: [] };
  }

  function tick(at?: number): SparkplugTickResult {
    const time = at ?? now();
    const acc = newAcc();
    for (const node of [...timed]) {
      const before = acc.violations.length;
      expireGaps(node, time, acc);
      endSession(node, time, acc);
      node.violations += acc.violations.length - before;
      if (node.pending.size === 0 && !node.sessionEnd) timed.delete(node);
    }
    return { violations: acc.violations, rebirths: acc.rebirths, mirror: acc.mirror, stale: acc.stale };
  }

  function nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const node of timed) {
      for (const p of node.pending.values()) if (next === undefined || p.deadline < next) next = p.deadline;
      if (node.sessionEnd && (next === undefined || node.sessionEnd.deadline < next))
        next = node.sessionEnd.deadline;
    }
    return next;
  }

  // ---- views ------------------------------------------------------------------------------

  function metricView(s: MetricState): MetricView {
    const v: MetricView = {
      name: s.name,
      datatype: s.datatype,
      value: s.value,
      isNull: s.isNull,
      quality: s.quality,
      updatedAt: s.updatedAt,
    };
    if (s.alias !== undefined) v.alias = s.alias;
    if (s.timestamp !== undefined) v.timestamp = s.timestamp;
    if (s.unit !== undefined) v.unit = s.unit;
    if (s.properties !== undefined) v.properties = s.properties;
    if (s.metadata !== undefined) v.metadata = s.metadata;
    return v;
  }

  const byName = <T extends { name: string }>(a: T, b: T): number =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

  function deviceView(node: NodeState, d: DeviceState): DeviceView {
    const v: DeviceView = {
      group: node.group,
      edgeNode: node.edgeNode,
      device: d.id,
      online: d.online,
      metrics: [...d.metrics.values()].map(metricView).sort(byName),
      history: d.history.map((h) => ({ ...h })),
    };
    if (d.lastBirth) v.lastBirth = { ...d.lastBirth };
    if (d.lastDeath) v.lastDeath = { ...d.lastDeath };
    return v;
  }

  function nodeView(n: NodeState): EdgeNodeView {
    const v: EdgeNodeView = {
      group: n.group,
      edgeNode: n.edgeNode,
      online: n.online,
      pendingSeqs: [...n.pending.keys()].sort((a, b) => a - b),
      rebirths: { ...n.rebirths },
      messages: n.messages,
      violations: n.violations,
      metrics: [...n.metrics.values()].map(metricView).sort(byName),
      devices: [...n.devices.values()]
        .map((d) => deviceView(n, d))
        .sort((a, b) => (a.device < b.device ? -1 : 1)),
      history: n.history.map((h) => ({ ...h })),
    };
    if (n.clientId !== undefined) v.clientId = n.clientId;
    if (n.bdSeq !== undefined) v.bdSeq = n.bdSeq;
    if (n.expectedSeq !== undefined && n.born) v.lastSeq = (n.expectedSeq + 255) % 256;
    if (n.lastBirth) v.lastBirth = { ...n.lastBirth };
    if (n.lastDeath) v.lastDeath = { ...n.lastDeath };
    return v;
  }

  return {
    onConnect,
    onMessage,
    onClientGone,
    tick,
    nextDeadline,
    snapshot: () => ({
      groups: [...groups.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([group, nodes]) => ({
          group,
          edgeNodes: [...nodes.values()].map(nodeView).sort((a, b) => (a.edgeNode < b.edgeNode ? -1 : 1)),
        })),
      hosts: [...hosts.values()].map((h) => ({ ...h })),
    }),
    node: (group, edgeNode) => {
      const n = findNode(group, edgeNode);
      return n ? nodeView(n) : undefined;
    },
    device: (group, edgeNode, device) => {
      const n = findNode(group, edgeNode);
      const d = n?.devices.get(device);
      return n && d ? deviceView(n, d) : undefined;
    },
    hosts: () => [...hosts.values()].map((h) => ({ ...h })),
  };
}

// ---- helpers ----------------------------------------------------------------------------------

function label(m: SparkplugMetricJson): string {
  return m.name ?? (m.alias !== undefined ? `alias ${m.alias}` : "(unnamed)");
}

function listed(items: string[]): string {
  const head = items.slice(0, LISTED).join("; ");
  return items.length > LISTED ? `${head}; and ${items.length - LISTED} more` : head;
}

function bdSeqOf(p: SparkplugPayloadJson): number | string | undefined {
  const m = p.metrics.find((x) => x.name === "bdSeq");
  return m && (typeof m.value === "number" || typeof m.value === "string") ? m.value : undefined;
}

function nextBdSeq(prev: number | string): string {
  return typeof prev === "number" ? String((prev + 1) % 256) : `${prev}+1`;
}

function bdSeqFollows(prev: number | string, next: number | string): boolean {
  if (String(next) === "0") return true;
  try {
    const p = BigInt(prev);
    const n = BigInt(next);
    return n === p + 1n || n === (p + 1n) % 256n;
  } catch {
    return false;
  }
}

function birthInfo(m: Msg0, bdSeq: number | string | undefined): BirthInfo {
  const b: BirthInfo = { time: m.time, clientId: m.clientId };
  if (m.payload.timestamp !== undefined) b.timestamp = m.payload.timestamp;
  if (m.payload.seq !== undefined) b.seq = m.payload.seq;
  if (bdSeq !== undefined) b.bdSeq = bdSeq;
  return b;
}

interface Msg0 {
  time: number;
  clientId: string | null;
  payload: SparkplugPayloadJson;
}

function findProperty(
  props: Record<string, SparkplugPropertyValueJson> | undefined,
  ...keys: string[]
): JsonValue | undefined {
  if (!props) return undefined;
  for (const [k, v] of Object.entries(props)) {
    if (keys.includes(k.toLowerCase()) && !v.isNull) return v.value;
  }
  return undefined;
}

/** Engineering unit from the metric properties `engUnit` or `unit`. */
function unitOf(props: Record<string, SparkplugPropertyValueJson> | undefined): string | undefined {
  const u = findProperty(props, "engunit", "unit");
  return typeof u === "string" && u !== "" ? u : undefined;
}

/** Quality property: 0 BAD, 192 GOOD, 500 STALE (Sparkplug 3.0 §6.4.10). */
function qualityOf(props: Record<string, SparkplugPropertyValueJson> | undefined): MetricQuality {
  const q = findProperty(props, "quality");
  return q === 0 ? "bad" : q === 500 ? "stale" : "good";
}

function metricState(m: SparkplugMetricJson, p: SparkplugPayloadJson, time: number): MetricState {
  const s: MetricState = {
    name: m.name!,
    datatypeId: m.datatypeId,
    datatype: m.datatype,
    value: m.value,
    isNull: m.isNull,
    quality: qualityOf(m.properties),
    updatedAt: time,
  };
  const ts = m.timestamp ?? p.timestamp;
  if (ts !== undefined) s.timestamp = ts;
  if (m.alias !== undefined) s.alias = m.alias;
  if (m.properties) s.properties = m.properties;
  const unit = unitOf(m.properties);
  if (unit !== undefined) s.unit = unit;
  if (m.metadata) s.metadata = m.metadata;
  return s;
}
