/** MQTT sessions and time: CONNECTs, lost clients, death grace periods and `tick()`. */
import { createViolation } from "../rules.js";
import { sparkplugTopic } from "../topic.js";
import type { SparkplugConnectInfo } from "../tracker.js";
import type { SparkplugTickResult } from "../types.js";
import { killNode } from "./lifecycle.js";
import { expireGaps } from "./seq.js";
import { type Acc, type NodeState, newAcc, type TrackerState } from "./state.js";

export function onConnect(tr: TrackerState, info: SparkplugConnectInfo): void {
  tr.connections.set(info.clientId, {
    connId: ++tr.connSeq,
    time: info.time ?? tr.now(),
    ...(info.clean !== undefined ? { clean: info.clean } : {}),
    will: info.will ?? null,
    checked: false,
  });
}

export function onClientGone(
  tr: TrackerState,
  clientId: string,
  o: { clean?: boolean; time?: number } = {},
): SparkplugTickResult {
  const time = o.time ?? tr.now();
  tr.connections.delete(clientId);
  for (const g of tr.groups.values()) {
    for (const node of g.values()) {
      if (!node.online || node.clientId !== clientId) continue;
      node.sessionEnd = { deadline: time + tr.deathGrace, clean: o.clean ?? false, clientId };
      tr.timed.add(node);
    }
  }
  return tr.deathGrace === 0 ? tick(tr, time) : { violations: [], rebirths: [], mirror: [], stale: [] };
}

export function tick(tr: TrackerState, at?: number): SparkplugTickResult {
  const time = at ?? tr.now();
  const acc = newAcc();
  for (const node of [...tr.timed]) {
    const before = acc.violations.length;
    expireGaps(tr, node, time, acc);
    endSession(tr, node, time, acc);
    node.violations += acc.violations.length - before;
    if (node.pending.size === 0 && !node.sessionEnd) tr.timed.delete(node);
  }
  return { violations: acc.violations, rebirths: acc.rebirths, mirror: acc.mirror, stale: acc.stale };
}

export function nextDeadline(tr: TrackerState): number | undefined {
  let next: number | undefined;
  for (const node of tr.timed) {
    for (const p of node.pending.values()) if (next === undefined || p.deadline < next) next = p.deadline;
    if (node.sessionEnd && (next === undefined || node.sessionEnd.deadline < next))
      next = node.sessionEnd.deadline;
  }
  return next;
}

export function endSession(tr: TrackerState, node: NodeState, time: number, acc: Acc): void {
  const end = node.sessionEnd;
  if (!end || end.deadline > time) return;
  node.sessionEnd = undefined;
  if (node.pending.size === 0) tr.timed.delete(node);
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
          message: `the MQTT session of client "${end.clientId}" broke and no NDEATH Will arrived within ${tr.deathGrace} ms; expected the broker to deliver the edge node's NDEATH`,
        }),
  );
  killNode(tr, node, "session-ended", time, undefined, acc);
}
