/** Alarms: ids, the open-alarm table of a line, alarm messages and the gun events that raise them. */
import type { AlarmPayload } from "../messages.js";
import { isoTime } from "../messages.js";
import type { SimMessage } from "../traffic.js";
import {
  type AlarmInfo,
  at,
  type GunState,
  json,
  type LineRuntime,
  type Push,
  type TrafficState,
} from "./state.js";

// Alarm ids are unique in the plant (site and line in the id); open alarms are kept per line.
export function nextAlarmId(rt: LineRuntime, code: string): string {
  rt.alarmSeq++;
  return `${rt.model.site}-${rt.model.id}-${code.toLowerCase()}-${String(rt.alarmSeq).padStart(6, "0")}`;
}

export function registerAlarm(rt: LineRuntime, id: string, a: AlarmInfo): void {
  rt.alarms.set(id, a);
}

export function alarmMessage(
  tr: TrafficState,
  rt: LineRuntime,
  id: string,
  state: "raised" | "cleared",
  time: number,
  publisher: number,
): SimMessage {
  const t = at(tr, time);
  const a = rt.alarms.get(id)!;
  if (state === "raised") a.raisedAt = t;
  else rt.alarms.delete(id);
  const payload: AlarmPayload = {
    alarmId: id,
    source: a.source,
    severity: a.severity,
    code: a.code,
    text: a.text,
    state,
    raisedAt: isoTime(a.raisedAt ?? t),
    clearedAt: state === "cleared" ? isoTime(t) : null,
    time: isoTime(t),
  };
  return {
    topic: tr.plant.topic(rt.model, "alarm"),
    payload: json(payload),
    channel: "alarm",
    kind: "valid",
    publisher,
  };
}

export function dressIfDue(
  tr: TrafficState,
  rt: LineRuntime,
  g: GunState,
  time: number,
  publisher: number,
  push: Push,
): void {
  if (g.spotsSinceDress < g.nextDressAt) return;
  const device = g.model.controller;
  const failed = g.dresserBrokenFor > 0 || g.physics.chance(tr.proc.faults.dresserFailure);
  if (failed) {
    if (g.dresserBrokenFor === 0) g.dresserBrokenFor = g.physics.int(1, 3);
    g.dresserBrokenFor--;
    g.nextDressAt = g.spotsSinceDress + Math.ceil(tr.proc.tipDressInterval / 2);
    if (!g.dresserAlarm) {
      const id = nextAlarmId(rt, "TIP-DRESS-FAILED");
      g.dresserAlarm = id;
      registerAlarm(rt, id, {
        source: { cell: g.cell.id, device },
        severity: "warning",
        code: "TIP-DRESS-FAILED",
        text: `Tip dresser did not cut: the caps of ${g.model.robot}/${g.model.gun} were not dressed`,
      });
      push(time, "alarm", (t) => alarmMessage(tr, rt, id, "raised", t, publisher));
    }
    return;
  }
  g.spotsSinceDress = 0;
  g.nextDressAt = tr.proc.tipDressInterval;
  g.dressCount++;
  if (g.dresserAlarm) {
    const id = g.dresserAlarm;
    g.dresserAlarm = null;
    push(time, "alarm", (t) => alarmMessage(tr, rt, id, "cleared", t, publisher));
  }
  if (g.dressCount >= tr.proc.tipChangeAfter) {
    g.dressCount = 0;
    const id = nextAlarmId(rt, "TIP-CHANGE");
    registerAlarm(rt, id, {
      source: { cell: g.cell.id, device },
      severity: "info",
      code: "TIP-CHANGE",
      text: `Electrode caps of ${g.model.robot}/${g.model.gun} changed after ${tr.proc.tipChangeAfter} dressings`,
    });
    push(time, "alarm", (t) => alarmMessage(tr, rt, id, "raised", t, publisher));
    push(time + 1, "alarm", (t) => alarmMessage(tr, rt, id, "cleared", t, publisher));
  }
}

export function trackExpulsions(
  tr: TrafficState,
  rt: LineRuntime,
  g: GunState,
  expulsion: boolean,
  time: number,
  publisher: number,
  push: Push,
): void {
  if (expulsion) {
    g.expulsionRun++;
    g.spotsSinceExpulsion = 0;
  } else {
    g.expulsionRun = 0;
    g.spotsSinceExpulsion++;
  }
  if (g.expulsionRun >= 3 && !g.streakAlarm) {
    const id = nextAlarmId(rt, "EXPULSION-STREAK");
    g.streakAlarm = id;
    registerAlarm(rt, id, {
      source: { cell: g.cell.id, device: g.model.controller },
      severity: "warning",
      code: "EXPULSION-STREAK",
      text: `${g.expulsionRun} expulsions in a row at ${g.model.robot}/${g.model.gun}: check electrode alignment`,
    });
    push(time, "alarm", (t) => alarmMessage(tr, rt, id, "raised", t, publisher));
  } else if (g.streakAlarm && g.spotsSinceExpulsion >= 25) {
    const id = g.streakAlarm;
    g.streakAlarm = null;
    push(time, "alarm", (t) => alarmMessage(tr, rt, id, "cleared", t, publisher));
  }
}
