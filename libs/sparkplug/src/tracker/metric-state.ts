/** Metric state from birth declarations, and the properties (unit, quality) read from them. */
import type {
  JsonValue,
  MetricQuality,
  SparkplugMetricJson,
  SparkplugPayloadJson,
  SparkplugPropertyValueJson,
} from "../types.js";
import type { MetricState } from "./state.js";

export function findProperty(
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
export function unitOf(props: Record<string, SparkplugPropertyValueJson> | undefined): string | undefined {
  const u = findProperty(props, "engunit", "unit");
  return typeof u === "string" && u !== "" ? u : undefined;
}

/** Quality property: 0 BAD, 192 GOOD, 500 STALE (Sparkplug 3.0 §6.4.10). */
export function qualityOf(props: Record<string, SparkplugPropertyValueJson> | undefined): MetricQuality {
  const q = findProperty(props, "quality");
  return q === 0 ? "bad" : q === 500 ? "stale" : "good";
}

export function metricState(m: SparkplugMetricJson, p: SparkplugPayloadJson, time: number): MetricState {
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
