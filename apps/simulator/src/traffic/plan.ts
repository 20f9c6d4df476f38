/** Planning: one cycle of every line (stops, heartbeats, weld cells, counts) as timed messages. */

import type { MessageKind } from "../bad-traffic.js";
import type { ChannelId } from "../channels.js";
import { type AlarmPayload, isoTime, type LineStateName } from "../messages.js";
import type { CellModel } from "../plant.js";
import type { SimMessage } from "../traffic.js";
import { alarmMessage, dressIfDue, nextAlarmId, registerAlarm, trackExpulsions } from "./alarms.js";
import { planInspection } from "./image-event.js";
import { lineCountsMessage, lineStateMessage } from "./line.js";
import {
  type BodyRecord,
  json,
  type LineRuntime,
  type Pending,
  type Push,
  type Tally,
  type TrafficState,
} from "./state.js";
import { weldOneSpot, weldSpotMessage } from "./weld-spot.js";

const STOP_CAUSES: {
  code: string;
  state: LineStateName;
  severity: AlarmPayload["severity"];
  text: string;
}[] = [
  { code: "ROBOT-COLLISION", state: "stopped", severity: "error", text: "robot collision stop" },
  { code: "LIGHT-CURTAIN", state: "stopped", severity: "warning", text: "light curtain interrupted" },
  { code: "PART-SHORTAGE", state: "starved", severity: "warning", text: "no parts from the previous line" },
  { code: "CONVEYOR-BLOCKED", state: "blocked", severity: "warning", text: "outfeed conveyor full" },
  { code: "WELD-FAULT", state: "stopped", severity: "error", text: "weld controller fault" },
];

export function planCycle(tr: TrafficState): void {
  const pending: Pending[] = [];
  for (const rt of tr.lines) planLine(tr, rt, pending);
  // Within a cycle, messages go out in plant-time order (stable for equal times).
  pending.sort((a, b) => a.time - b.time);
  tr.queue = pending;
  tr.head = 0;
  tr.cycle++;
}

export function planLine(tr: TrafficState, rt: LineRuntime, out: Pending[]): void {
  const line = rt.model;
  const cycleMs = line.cycleTime * 1000;
  const t0 = tr.startTime + tr.cycle * cycleMs;
  // `channel` decides whether the message is wanted: for bad traffic, the channel it replaces.
  const push = (time: number, channel: ChannelId, build: (time: number) => SimMessage) => {
    if (tr.channels.has(channel)) out.push({ time, build });
  };
  const linePublisher = line.index % tr.publishers;
  rt.plannedCycles++;

  if (tr.cycle === 0) push(t0, "lineState", (t) => lineStateMessage(tr, rt, t, linePublisher));

  if (rt.stoppedFor > 0) {
    rt.stoppedFor--;
    if (rt.stoppedFor === 0) {
      const alarm = rt.stopAlarm;
      rt.state = "running";
      rt.reason = null;
      rt.since = null;
      rt.stopAlarm = null;
      const t = t0 + cycleMs - 1;
      push(t, "lineState", (time) => lineStateMessage(tr, rt, time, linePublisher));
      if (alarm) push(t, "alarm", (time) => alarmMessage(tr, rt, alarm, "cleared", time, linePublisher));
    }
    return;
  }
  if (tr.cycle > 0 && rt.rng.chance(tr.proc.lineStop.probability)) {
    rt.stoppedFor = rt.rng.int(tr.proc.lineStop.minCycles, tr.proc.lineStop.maxCycles);
    const cause = rt.rng.pick(STOP_CAUSES);
    const cell = rt.rng.pick(line.cells);
    rt.state = cause.state;
    rt.reason = `${cell.id}: ${cause.text}`;
    rt.since = null;
    const id = nextAlarmId(rt, cause.code);
    rt.stopAlarm = id;
    registerAlarm(rt, id, {
      source: { cell: cell.id, device: `${cell.id}-plc` },
      severity: cause.severity,
      code: cause.code,
      text: rt.reason,
    });
    push(t0, "lineState", (t) => lineStateMessage(tr, rt, t, linePublisher));
    push(t0, "alarm", (t) => alarmMessage(tr, rt, id, "raised", t, linePublisher));
    return;
  }
  rt.runCycles++;
  if (tr.cycle > 0 && tr.cycle % tr.proc.heartbeatCycles === 0) {
    push(t0, "lineState", (t) => lineStateMessage(tr, rt, t, linePublisher));
  }

  const lastPosition = line.cells.length - 1;
  for (const cell of line.cells) {
    const bodyIndex = rt.produced - cell.position;
    if (bodyIndex < 0) continue;
    let body = rt.bodies.get(bodyIndex);
    if (!body) {
      body = {
        id: `${line.bodyPrefix}-${String(rt.bodyBase + bodyIndex).padStart(7, "0")}`,
        spots: [],
        nok: false,
      };
      rt.bodies.set(bodyIndex, body);
    }
    const cellPublisher = cell.index % tr.publishers;
    if (cell.role === "weld") {
      planWeldCell(tr, rt, cell, body, t0, cycleMs, cellPublisher, push);
    } else {
      planInspection(tr, rt, cell, body, t0, cellPublisher, push);
    }
    if (cell.position === lastPosition) {
      rt.bodies.delete(bodyIndex);
      rt.total++;
      if (body.nok) rt.bad++;
      else rt.good++;
      const tally: Tally = {
        total: rt.total,
        good: rt.good,
        bad: rt.bad,
        plannedCycles: rt.plannedCycles,
        runCycles: rt.runCycles,
      };
      const last = body.nok ? "bad" : "good";
      push(t0 + cycleMs - 500, "lineCounts", (t) => lineCountsMessage(tr, rt, tally, last, t, linePublisher));
    }
  }
  rt.produced++;
}

export function planWeldCell(
  tr: TrafficState,
  rt: LineRuntime,
  cell: CellModel,
  body: BodyRecord,
  t0: number,
  cycleMs: number,
  publisher: number,
  push: Push,
): void {
  const states = tr.guns.get(cell) ?? [];
  const spots = tr.proc.spotsPerGun;
  // Robots weld in parallel; each gun's spots are spread over 80 % of the cycle.
  const spacing = (cycleMs * 0.8) / spots;
  for (const g of states) {
    for (let j = 0; j < spots; j++) {
      const planned = g.plan[j]!;
      const end = t0 + 2000 + j * spacing + g.model.position * 137 + 900;
      dressIfDue(tr, rt, g, end - 800, publisher, push);
      const spot = weldOneSpot(tr, g, planned, body);
      body.spots.push({
        camera: planned.camera,
        spot: { spotId: planned.spotId, x: planned.x, y: planned.y, expulsion: spot.truth.expulsion },
      });
      if (spot.truth.quality === "nok") body.nok = true;

      let kind: MessageKind = "valid";
      if (tr.badRate > 0 && tr.channels.has("weldSpot") && tr.badRng.next() < tr.badRate)
        kind = tr.badRng.pick(tr.badKinds);
      push(end, "weldSpot", (t) => weldSpotMessage(tr, rt, cell, g, spot, t, kind, publisher));
      if (tr.channels.has("weldSpotTruth")) {
        push(end, "weldSpotTruth", (t) => ({
          topic: tr.plant.topic(cell, "weldSpotTruth"),
          payload: json({ ...spot.truth, time: isoTime(t) }),
          channel: "weldSpotTruth",
          kind: "valid",
          publisher,
        }));
      }
      trackExpulsions(tr, rt, g, spot.measured.expulsion, end, publisher, push);
    }
  }
}
