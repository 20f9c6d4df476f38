/** NDEATH and DDEATH. */
import type { DeathReason } from "../types.js";
import { bdSeqOf } from "./births.js";
import { killDevice, killNode, requireBirth } from "./lifecycle.js";
import { checkSeq } from "./seq.js";
import {
  type Acc,
  label,
  listed,
  type Msg,
  type NodeState,
  pushHistory,
  type TrackerState,
} from "./state.js";

export function onNodeDeath(tr: TrackerState, node: NodeState, m: Msg, acc: Acc): void {
  const { payload, time, flag } = m;
  const bdSeq = bdSeqOf(payload);
  // [tck-id-topics-ndeath-payload]
  if (bdSeq === undefined) flag("bdseq-missing", 'expected the "bdSeq" metric in the NDEATH; none given');
  const others = payload.metrics.filter((x) => x.name !== "bdSeq").map(label);
  if (others.length > 0)
    flag("ndeath-payload", `expected only the bdSeq metric in the NDEATH, also got ${listed(others)}`);

  const reason: DeathReason = m.msg.will || node.sessionEnd ? "will" : "ndeath";
  if (!node.online) {
    pushHistory(tr, node.history, {
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
    pushHistory(tr, node.history, {
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
  killNode(tr, node, reason, time, bdSeq, acc);
}

export function onDeviceDeath(tr: TrackerState, node: NodeState, m: Msg, acc: Acc): void {
  if (!requireBirth(tr, node, m, acc)) return;
  checkSeq(tr, node, m, acc);
  const id = m.t.device!;
  const dev = node.devices.get(id);
  if (!dev?.online) {
    if (dev)
      pushHistory(tr, dev.history, {
        time: m.time,
        event: "death-ignored",
        reason: "device already offline",
      });
    return;
  }
  // Offline and stale "using the timestamp in the DDEATH payload"
  // [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline]
  // [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale]
  const when = m.payload.timestamp ?? m.time;
  killDevice(tr, node, dev, "ddeath", when, acc);
  acc.stale.push({ group: node.group, edgeNode: node.edgeNode, device: id, reason: "ddeath", time: when });
}
