/**
 * How the Sparkplug page words and formats what the server's tracker reports (GET /api/v1/sparkplug):
 * metric values by datatype, online/offline durations, why a node or device went down, why a
 * rebirth was asked for, and the conformance id at the end of a rule violation's message.
 */

import type {
  SparkplugEdgeNode,
  SparkplugMetric,
  SparkplugResponse,
  SparkplugValue,
  ValidationError,
} from "@uns/api-contract";
import { formatCount, formatTime } from "../../lib/format";

const INTEGER_TYPES = new Set(["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"]);
const NUMERIC_TYPES = new Set([...INTEGER_TYPES, "Float", "Double"]);

/** Numbers are right-aligned in the metric tables. */
export function isNumericType(datatype: string): boolean {
  return NUMERIC_TYPES.has(datatype);
}

/**
 * A float as its datatype can hold it: Float is 32-bit, so the 9.399999618530273 that protobuf
 * hands over for 9.4 reads 9.4 (7 significant digits); Double keeps 15.
 */
function formatFloat(v: number, datatype: "Float" | "Double"): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = datatype === "Float" ? 7 : 15;
  return String(Number(v.toPrecision(digits)));
}

/** Bytes in a base64 string (Bytes and File values come as base64). */
export function base64Bytes(b64: string): number {
  const clean = b64.replace(/\s/g, "");
  const pad = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad);
}

function scalar(v: SparkplugValue, datatype: string, timeZone: string): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") {
    if (
      datatype === "Float" ||
      datatype === "Double" ||
      datatype === "FloatArray" ||
      datatype === "DoubleArray"
    )
      return formatFloat(v, datatype.startsWith("Float") ? "Float" : "Double");
    if (datatype === "DateTime" || datatype === "DateTimeArray") return formatTime(v, timeZone);
    return String(v);
  }
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

const MAX_TEXT = 120;
const MAX_ELEMENTS = 8;

function clip(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * A metric's current value for a table cell, by its datatype. 64-bit integers beyond 2^53 come
 * as decimal strings and stay exact; arrays show their first elements and their length; Bytes,
 * File, DataSet and Template are summarised.
 *
 * @example formatSparkplugValue({ datatype: "Float", value: 9.399999618530273, isNull: false }, "UTC") // "9.4"
 * @example formatSparkplugValue({ datatype: "Bytes", value: "AAECAw==", isNull: false }, "UTC")      // "4 bytes"
 */
export function formatSparkplugValue(
  m: Pick<SparkplugMetric, "datatype" | "value" | "isNull">,
  timeZone: string,
): string {
  if (m.isNull) return "null";
  const v = m.value;
  switch (m.datatype) {
    case "Bytes":
    case "File":
      return typeof v === "string" ? `${formatCount(base64Bytes(v))} bytes` : clip(JSON.stringify(v));
    case "DataSet": {
      const d = v as { numOfColumns?: number | string; columns?: string[]; rows?: unknown[] } | null;
      const cols = d?.columns?.length ?? Number(d?.numOfColumns ?? 0);
      const rows = d?.rows?.length ?? 0;
      return `DataSet: ${cols} column${cols === 1 ? "" : "s"} × ${rows} row${rows === 1 ? "" : "s"}${d?.columns?.length ? ` (${clip(d.columns.join(", "), 60)})` : ""}`;
    }
    case "Template": {
      const t = v as { templateRef?: string; isDefinition?: boolean; metrics?: unknown[] } | null;
      const n = t?.metrics?.length ?? 0;
      const what = t?.isDefinition
        ? "Template definition"
        : `Template${t?.templateRef ? ` ${t.templateRef}` : ""}`;
      return `${what}: ${n} metric${n === 1 ? "" : "s"}`;
    }
  }
  if (Array.isArray(v)) {
    const head = v.slice(0, MAX_ELEMENTS).map((x) => scalar(x, m.datatype, timeZone));
    const more = v.length > MAX_ELEMENTS ? ", …" : "";
    return `[${head.join(", ")}${more}] (${formatCount(v.length)} value${v.length === 1 ? "" : "s"})`;
  }
  return clip(scalar(v, m.datatype, timeZone));
}

/** The unit of a metric: the tracker's `unit` (from the birth's engUnit / unit property). */
export function metricUnit(m: Pick<SparkplugMetric, "unit" | "properties">): string | undefined {
  if (m.unit) return m.unit;
  const p = m.properties?.engUnit ?? m.properties?.unit;
  return p && typeof p.value === "string" ? p.value : undefined;
}

/**
 * A duration for "online for ..." / "offline for ...": two units at most.
 *
 * @example formatDuration(3_725_000) // "1 h 2 min"
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const DEATH_REASONS: Record<string, string> = {
  ndeath: "the edge node published its NDEATH",
  will: "connection lost: the broker delivered the node's NDEATH will",
  "session-ended": "the MQTT session ended and no NDEATH came",
  ddeath: "the device published its DDEATH",
  "node-death": "its edge node went offline",
  "node-rebirth": "its edge node was reborn; waiting for the device's DBIRTH",
};

/** Why a node or device went offline, in words (the tracker's DeathReason). */
export function deathReasonText(reason: string | undefined): string {
  if (!reason) return "unknown";
  return DEATH_REASONS[reason] ?? reason;
}

const REBIRTH_REASONS: Record<string, string> = {
  "seq-gap": "a gap in seq that the reorder window did not fill",
  "data-before-birth": "data from an edge node not born (no NBIRTH seen)",
  "device-data-before-birth": "device data before the device's DBIRTH",
  "model-mismatch": "a metric not declared in the birth, or its datatype changed",
};

/** Why the host asked an edge node for a rebirth (RebirthRequest.reason), in words. */
export function rebirthReasonText(reason: string | undefined): string {
  if (!reason) return "unknown";
  return REBIRTH_REASONS[reason] ?? reason;
}

export interface Presence {
  online: boolean;
  /** When the current state began (birth or death), ms since epoch; undefined when unknown. */
  since?: number;
  /** How long it has lasted at `now`. */
  forMs?: number;
}

/** Online since the last birth, or offline since the last death. */
export function presence(
  x: { online: boolean; lastBirth?: { time: number }; lastDeath?: { time: number } },
  now: number,
): Presence {
  const since = x.online ? x.lastBirth?.time : x.lastDeath?.time;
  return since === undefined ? { online: x.online } : { online: x.online, since, forMs: now - since };
}

/** "online for 3 min", "offline for 2 h 5 min", "offline". */
export function presenceText(p: Presence): string {
  const state = p.online ? "online" : "offline";
  return p.forMs === undefined ? state : `${state} for ${formatDuration(p.forMs)}`;
}

export interface SparkplugCounts {
  groups: number;
  nodes: number;
  nodesOnline: number;
  devices: number;
  devicesOnline: number;
}

/** How many edge nodes and devices the host tracks, and how many of them are online. */
export function countOnline(groups: SparkplugResponse["groups"]): SparkplugCounts {
  const c: SparkplugCounts = {
    groups: groups.length,
    nodes: 0,
    nodesOnline: 0,
    devices: 0,
    devicesOnline: 0,
  };
  for (const g of groups)
    for (const n of g.edgeNodes) {
      c.nodes++;
      if (n.online) c.nodesOnline++;
      for (const d of n.devices) {
        c.devices++;
        if (d.online) c.devicesOnline++;
      }
    }
  return c;
}

/** `group/edgeNode`: unambiguous, as Sparkplug ids hold no "/" (tck-id-topic-structure-namespace-valid-*). */
export function nodeKey(n: Pick<SparkplugEdgeNode, "group" | "edgeNode">): string {
  return `${n.group}/${n.edgeNode}`;
}

/** The node a `node=` URL parameter names, else the first offline one, else the first one. */
export function pickNode(
  groups: SparkplugResponse["groups"],
  key: string | null | undefined,
): SparkplugEdgeNode | undefined {
  const all = groups.flatMap((g) => g.edgeNodes);
  return all.find((n) => nodeKey(n) === key) ?? all.find((n) => !n.online) ?? all[0];
}

/**
 * A Sparkplug rule violation's error split into its words and its conformance id: the server
 * puts the id in `params.conformance` and at the end of the message as `[tck-id-...]`.
 *
 * @example ruleFinding({ keyword: "seq-gap", message: "seq 5 after 1 [tck-id-payloads-sequence-num-incrementing]", instancePath: "" })
 * // { rule: "seq-gap", text: "seq 5 after 1", conformance: "tck-id-payloads-sequence-num-incrementing", severity: "error" }
 */
export function ruleFinding(e: ValidationError): {
  rule: string;
  text: string;
  conformance: string | null;
  severity: string;
  metric?: string;
} {
  const m = /\s*\[(tck-id-[^\]]+)\]\s*$/.exec(e.message);
  const params = (e.params ?? {}) as { conformance?: unknown; severity?: unknown };
  const conformance =
    typeof params.conformance === "string" ? params.conformance : m ? (m[1] as string) : null;
  const out: ReturnType<typeof ruleFinding> = {
    rule: e.keyword,
    text: m ? e.message.slice(0, m.index) : e.message,
    conformance,
    severity: typeof params.severity === "string" ? params.severity : "error",
  };
  if (e.instancePath.startsWith("/metrics/")) out.metric = e.instancePath.slice("/metrics/".length);
  return out;
}
