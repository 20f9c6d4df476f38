/** NDATA/DDATA and NCMD/DCMD: metrics matched against their birth declarations. */
import { REBIRTH_METRIC } from "../host-application.js";
import type { SparkplugMetricJson } from "../types.js";
import { requestRebirth, requireBirth } from "./lifecycle.js";
import { qualityOf, unitOf } from "./metric-state.js";
import { checkSeq } from "./seq.js";
import {
  type Acc,
  listed,
  type MetricState,
  type Msg,
  type NodeState,
  type Scope,
  type TrackerState,
  update,
} from "./state.js";

export function onData(tr: TrackerState, node: NodeState, m: Msg, acc: Acc): void {
  if (!requireBirth(tr, node, m, acc)) return;
  checkSeq(tr, node, m, acc);
  let scope: Scope = node;
  const deviceId = m.t.device;
  if (deviceId !== undefined) {
    const dev = node.devices.get(deviceId);
    if (!dev?.online) {
      const why = dev
        ? `device "${deviceId}" is offline (${dev.lastDeath?.reason ?? "unknown"})`
        : `no DBIRTH seen for device "${deviceId}" in this session`;
      m.flag("device-data-before-birth", `expected a DBIRTH before DDATA: ${why}; a rebirth is requested`);
      requestRebirth(tr, node, "device-data-before-birth", m.time, acc);
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
  if (mismatch && tr.rebirthOnModelMismatch) requestRebirth(tr, node, "model-mismatch", m.time, acc);
}

export function onCommand(node: NodeState, m: Msg): void {
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
export function resolveMetrics(
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
