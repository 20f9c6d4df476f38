/** Line state and line counts (per shift) messages. */
import { isoTime, type LineCountsPayload, type LineStatePayload, shiftOf } from "../messages.js";
import type { SimMessage } from "../traffic.js";
import { round } from "../weld-physics.js";
import { at, json, type LineRuntime, type Tally, type TrafficState } from "./state.js";

export function lineStateMessage(
  tr: TrafficState,
  rt: LineRuntime,
  time: number,
  publisher: number,
): SimMessage {
  const t = at(tr, time);
  rt.since ??= t;
  const payload: LineStatePayload = {
    line: rt.model.id,
    state: rt.state,
    reason: rt.reason,
    since: isoTime(rt.since),
    speed: rt.state === "running" ? round(3600 / rt.model.cycleTime, 2) : 0,
    plannedCycleTime: rt.model.cycleTime,
    time: isoTime(t),
  };
  return {
    topic: tr.plant.topic(rt.model, "lineState"),
    payload: json(payload),
    channel: "lineState",
    kind: "valid",
    publisher,
  };
}

export function lineCountsMessage(
  tr: TrafficState,
  rt: LineRuntime,
  tally: Tally,
  last: "good" | "bad",
  time: number,
  publisher: number,
): SimMessage {
  const t = at(tr, time);
  const shift = shiftOf(t);
  if (rt.shift !== shift.id) {
    // A new shift counts from zero; the body of this message is its first.
    rt.shift = shift.id;
    rt.shiftBase = {
      total: tally.total - 1,
      good: tally.good - (last === "good" ? 1 : 0),
      bad: tally.bad - (last === "bad" ? 1 : 0),
      plannedCycles: tally.plannedCycles - 1,
      runCycles: tally.runCycles - 1,
    };
  }
  const b = rt.shiftBase;
  const payload: LineCountsPayload = {
    line: rt.model.id,
    shift: shift.id,
    shiftStart: isoTime(shift.start),
    total: tally.total - b.total,
    good: tally.good - b.good,
    bad: tally.bad - b.bad,
    plannedTime: (tally.plannedCycles - b.plannedCycles) * rt.model.cycleTime,
    runTime: (tally.runCycles - b.runCycles) * rt.model.cycleTime,
    idealCycleTime: rt.model.idealCycleTime,
    time: isoTime(t),
  };
  return {
    topic: tr.plant.topic(rt.model, "lineCounts"),
    payload: json(payload),
    channel: "lineCounts",
    kind: "valid",
    publisher,
  };
}
