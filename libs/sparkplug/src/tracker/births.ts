/** NBIRTH and DBIRTH: the birth checks, the CONNECT/Will checks and the new metric scopes. */
import { decodeSparkplug } from "../decode.js";
import { REBIRTH_METRIC } from "../host-application.js";
import { certificateTopic, sparkplugTopic } from "../topic.js";
import type { BirthInfo, SparkplugPayloadJson, SparkplugResult } from "../types.js";
import { killDevice, requireBirth } from "./lifecycle.js";
import { metricState } from "./metric-state.js";
import { checkSeq } from "./seq.js";
import {
  type Acc,
  type ConnectionState,
  listed,
  type Msg,
  type NodeState,
  pushHistory,
  type Scope,
  type TrackerState,
  update,
} from "./state.js";

export const PAST_BDSEQS = 8;

/** Birth metric checks shared by NBIRTH and DBIRTH; returns the new metric scope. */
export function birthScope(m: Msg, owner: string, node: NodeState): Scope {
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
        const where = other.owner === "" ? "the edge node's NBIRTH" : `the DBIRTH of device "${other.owner}"`;
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

export function onNodeBirth(
  tr: TrackerState,
  node: NodeState,
  m: Msg,
  acc: Acc,
  result: SparkplugResult,
): void {
  const { payload, time, clientId, flag } = m;
  // [tck-id-topics-nbirth-seq-num] [tck-id-payloads-sequence-num-zero-nbirth]
  if (m.seq !== undefined && m.seq !== 0) flag("seq-nbirth-zero", `expected NBIRTH seq 0, got ${m.seq}`);

  // [tck-id-topics-nbirth-bdseq-included]
  const bdSeq = bdSeqOf(payload);
  if (bdSeq === undefined)
    flag("bdseq-missing", 'expected a "bdSeq" metric (UInt64) in the NBIRTH; none given');

  checkRebirthMetric(m);

  // The client's CONNECT, once per connection: Will topic, QoS, retain, bdSeq; clean session.
  const conn = clientId !== null ? tr.connections.get(clientId) : undefined;
  if (conn && !conn.checked) {
    conn.checked = true;
    checkConnect(conn, m, bdSeq);
  }

  checkBdSeqAcrossSessions(node, m, conn, bdSeq);

  // [tck-id-topic-structure-namespace-unique-edge-node-descriptor]
  if (node.online && node.clientId && clientId !== null && node.clientId !== clientId && !node.sessionEnd) {
    flag(
      "edge-node-id-duplicate",
      `expected one MQTT client per edge node; "${node.clientId}" is still connected as ${node.group}/${node.edgeNode} and "${clientId}" births it too`,
    );
  }

  const scope = birthScope(m, "", node);

  // Devices stay stale until their new DBIRTH (spec §4.2.1 NBIRTH payload).
  for (const dev of node.devices.values())
    if (dev.online) killDevice(tr, node, dev, "node-rebirth", time, acc);
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
  tr.timed.delete(node);
  node.lastBirth = birthInfo(m, bdSeq);
  pushHistory(tr, node.history, {
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

/** The Node Control/Rebirth metric an NBIRTH must carry [tck-id-topics-nbirth-rebirth-metric]. */
function checkRebirthMetric(m: Msg): void {
  const { payload, flag } = m;
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
}

function checkBdSeqAcrossSessions(
  node: NodeState,
  m: Msg,
  conn: ConnectionState | undefined,
  bdSeq: number | string | undefined,
): void {
  const { clientId, flag } = m;
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
}

export function checkConnect(conn: ConnectionState, m: Msg, bdSeq: number | string | undefined): void {
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
  if (will.qos !== 1) m.flag("will-qos", `expected the NDEATH Will of ${who} at QoS 1, got QoS ${will.qos}`);
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

export function onDeviceBirth(
  tr: TrackerState,
  node: NodeState,
  m: Msg,
  acc: Acc,
  result: SparkplugResult,
): void {
  if (!requireBirth(tr, node, m, acc)) return;
  checkSeq(tr, node, m, acc);
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
  pushHistory(tr, dev.history, {
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

export function bdSeqOf(p: SparkplugPayloadJson): number | string | undefined {
  const m = p.metrics.find((x) => x.name === "bdSeq");
  return m && (typeof m.value === "number" || typeof m.value === "string") ? m.value : undefined;
}

export function nextBdSeq(prev: number | string): string {
  return typeof prev === "number" ? String((prev + 1) % 256) : `${prev}+1`;
}

export function bdSeqFollows(prev: number | string, next: number | string): boolean {
  if (String(next) === "0") return true;
  try {
    const p = BigInt(prev);
    const n = BigInt(next);
    return n === p + 1n || n === (p + 1n) % 256n;
  } catch {
    return false;
  }
}

export function birthInfo(m: Msg0, bdSeq: number | string | undefined): BirthInfo {
  const b: BirthInfo = { time: m.time, clientId: m.clientId };
  if (m.payload.timestamp !== undefined) b.timestamp = m.payload.timestamp;
  if (m.payload.seq !== undefined) b.seq = m.payload.seq;
  if (bdSeq !== undefined) b.bdSeq = bdSeq;
  return b;
}

export interface Msg0 {
  time: number;
  clientId: string | null;
  payload: SparkplugPayloadJson;
}
