/** The seq counter and its reorder window [tck-id-operational-behavior-host-reordering-param]. */
import { createViolation } from "../rules.js";
import { requestRebirth } from "./lifecycle.js";
import type { Acc, Msg, NodeState, PendingSeq, TrackerState } from "./state.js";

export function checkSeq(tr: TrackerState, node: NodeState, m: Msg, acc: Acc): void {
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
    if (node.pending.size === 0 && !node.sessionEnd) tr.timed.delete(node);
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
      node.pending.set((expected + i) % 256, { deadline: m.time + tr.window, opener });
    node.expectedSeq = (seq + 1) % 256;
    tr.timed.add(node);
    if (tr.window === 0) expireGaps(tr, node, m.time, acc);
    return;
  }
  m.flag(
    "seq-order",
    `expected seq ${expected}, got ${seq}: a repeated seq or one older than the reorder window`,
  );
}

/** Reorder windows that ran out: one seq-gap violation and a rebirth request [tck-id-operational-behavior-host-reordering-rebirth]. */
export function expireGaps(tr: TrackerState, node: NodeState, time: number, acc: Acc): void {
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
        `not received within the reorder window of ${tr.window} ms, a rebirth is requested`,
    }),
  );
  // The rebirth resynchronises the whole session: forget every open gap of this node.
  node.pending.clear();
  if (!node.sessionEnd) tr.timed.delete(node);
  requestRebirth(tr, node, "seq-gap", time, acc);
}
