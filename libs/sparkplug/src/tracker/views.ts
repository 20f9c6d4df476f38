/** Read-only copies of the state for `snapshot()`, `node()` and `device()`. */
import type { DeviceView, EdgeNodeView, MetricView } from "../types.js";
import type { DeviceState, MetricState, NodeState } from "./state.js";

const byName = <T extends { name: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export function metricView(s: MetricState): MetricView {
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

export function deviceView(node: NodeState, d: DeviceState): DeviceView {
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

export function nodeView(n: NodeState): EdgeNodeView {
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
