/** Going offline and asking for a rebirth: the steps births, deaths, data and sessions share. */
import { rebirthCommand } from "../host-application.js";
import type { DeathReason, RebirthRequest } from "../types.js";
import {
  type Acc,
  type DeviceState,
  type Msg,
  type NodeState,
  pushHistory,
  type Scope,
  type TrackerState,
  update,
} from "./state.js";

/** Mark every metric of a scope stale [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale]. */
export function staleScope(
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

export function requestRebirth(
  tr: TrackerState,
  node: NodeState,
  reason: RebirthRequest["reason"],
  time: number,
  acc: Acc,
): void {
  const last = node.rebirths.lastRequestAt;
  if (last !== undefined && time - last < tr.opts.rebirthMinIntervalMs) {
    node.rebirths.suppressed++;
    return;
  }
  node.rebirths.requested++;
  node.rebirths.lastRequestAt = time;
  node.rebirths.lastReason = reason;
  pushHistory(tr, node.history, { time, event: "rebirth-requested", reason });
  acc.rebirths.push({
    group: node.group,
    edgeNode: node.edgeNode,
    reason,
    time,
    command: rebirthCommand(node.group, node.edgeNode, { timestamp: time }),
  });
}

export function killDevice(
  tr: TrackerState,
  node: NodeState,
  dev: DeviceState,
  reason: DeathReason,
  time: number,
  acc: Acc,
): void {
  dev.online = false;
  dev.lastDeath = { time, reason };
  pushHistory(tr, dev.history, { time, event: "death", reason });
  staleScope(node, dev.id, dev, time, acc);
}

/**
 * [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline] and its
 * devices with it [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline].
 */
export function killNode(
  tr: TrackerState,
  node: NodeState,
  reason: DeathReason,
  time: number,
  bdSeq: number | string | undefined,
  acc: Acc,
): void {
  node.online = false;
  node.lastDeath = { time, reason, ...(bdSeq !== undefined ? { bdSeq } : {}) };
  pushHistory(tr, node.history, { time, event: "death", reason, ...(bdSeq !== undefined ? { bdSeq } : {}) });
  node.pending.clear();
  node.sessionEnd = undefined;
  tr.timed.delete(node);
  staleScope(node, undefined, node, time, acc);
  const devices: string[] = [];
  for (const dev of node.devices.values()) {
    if (!dev.online) continue;
    devices.push(dev.id);
    killDevice(tr, node, dev, "node-death", time, acc);
  }
  acc.stale.push({ group: node.group, edgeNode: node.edgeNode, reason, time, devices });
}

/** NDATA/DBIRTH/DDATA/DDEATH need a live edge node; otherwise report and ask for a rebirth. */
export function requireBirth(tr: TrackerState, node: NodeState, m: Msg, acc: Acc): boolean {
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
  requestRebirth(tr, node, "data-before-birth", m.time, acc);
  return false;
}
