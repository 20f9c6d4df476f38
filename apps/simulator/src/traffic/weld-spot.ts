/** Weld spots: the physics of one spot, and its weld-spot message (valid or one of the bad kinds). */
import { corruptJson, type MessageKind, mutateWeldSpot } from "../bad-traffic.js";
import { isoTime, type WeldQualityPayload, type WeldSpotPayload } from "../messages.js";
import type { CellModel } from "../plant.js";
import { STRAY_TOPIC_VARIANTS } from "../topics.js";
import type { SimMessage } from "../traffic.js";
import { round, simulateSpot, type TruthFault, type WeldFault } from "../weld-physics.js";
import { serializeWeldSpot } from "../weld-spot-json.js";
import {
  at,
  type BodyRecord,
  CURVE_POINTS,
  type GunState,
  json,
  type LineRuntime,
  type PlannedSpot,
  type SimulatedSpot,
  type TrafficState,
} from "./state.js";

const TIP_NOMINAL = 6.0; // mm, face diameter of a freshly dressed cap
const TIP_ALLOWED_GROWTH = 1.2; // mm, growth that counts as 100 % wear
const TIP_WORN = 6.85; // mm, beyond this the stepper no longer compensates

export function weldOneSpot(
  tr: TrafficState,
  g: GunState,
  planned: PlannedSpot,
  body: BodyRecord,
): SimulatedSpot {
  const rng = g.physics;
  const tipDiameter = TIP_NOMINAL - 0.05 + 0.004 * g.dressCount + 0.026 * g.spotsSinceDress ** 0.6;
  const stepper = 1 + (tr.proc.stepperMax - 1) * Math.min(1, g.spotsSinceDress / tr.proc.tipDressInterval);
  const draw = rng.next();
  const f = tr.proc.faults;
  let fault: WeldFault = "none";
  if (draw < f.expulsion) fault = "expulsion";
  else if (draw < f.expulsion + f.coldWeld) fault = "cold-weld";
  else if (draw < f.expulsion + f.coldWeld + f.shunting) fault = "shunting";
  const result = simulateSpot(
    { program: planned.program, electrode: { tipDiameter, stepper }, fault, points: CURVE_POINTS },
    rng,
  );
  g.seq++;
  g.spotsSinceDress++;
  const quality = result.truth.nuggetDiameter >= result.truth.minNuggetDiameter ? "ok" : "nok";
  let truthFault: TruthFault = "none";
  if (result.truth.expulsion) truthFault = "expulsion";
  else if (fault === "shunting" || fault === "cold-weld") truthFault = fault;
  else if (tipDiameter > TIP_WORN) truthFault = "worn-tips";
  return {
    planned,
    seq: g.seq,
    bodyId: body.id,
    electrode: {
      tipDressCount: g.dressCount,
      spotsSinceDress: g.spotsSinceDress - 1,
      tipDiameter: round(tipDiameter, 3),
      wear: round(Math.min(100, Math.max(0, ((tipDiameter - TIP_NOMINAL) / TIP_ALLOWED_GROWTH) * 100)), 1),
    },
    stepper: round(stepper, 3),
    result,
    measured: result.measured,
    truth: {
      spot: { controller: g.model.controller, seq: g.seq, bodyId: body.id, spotId: planned.spotId },
      nuggetDiameter: result.truth.nuggetDiameter,
      minNuggetDiameter: result.truth.minNuggetDiameter,
      expulsion: result.truth.expulsion,
      fault: truthFault,
      quality,
      method: "simulated",
    },
  };
}

export function weldSpotMessage(
  tr: TrafficState,
  rt: LineRuntime,
  cell: CellModel,
  g: GunState,
  s: SimulatedSpot,
  time: number,
  kind: MessageKind,
  publisher: number,
): SimMessage {
  const end = at(tr, time);
  const p = s.planned.program;
  const payload: WeldSpotPayload = {
    spotId: s.planned.spotId,
    seq: s.seq,
    bodyId: s.bodyId,
    program: p.number,
    source: {
      line: rt.model.id,
      cell: cell.id,
      robot: g.model.robot,
      gun: g.model.gun,
      controller: g.model.controller,
    },
    time: { start: isoTime(end - s.result.duration), end: isoTime(end) },
    stack: { thickness: [...p.sheets], coated: p.coated },
    schedule: {
      current: s.result.currentSetpoint,
      weldTime: p.weldTime,
      squeezeTime: p.squeezeTime,
      holdTime: p.holdTime,
      force: p.force,
      pulses: p.pulses,
      coolTime: p.coolTime,
      upslope: p.upslope,
      stepper: s.stepper,
    },
    electrode: { ...s.electrode },
    measured: { ...s.measured },
    curves: {
      points: CURVE_POINTS,
      interval: s.result.interval,
      current: { unit: "kA", values: s.result.curves.current.slice() },
      voltage: { unit: "V", values: s.result.curves.voltage.slice() },
      resistance: { unit: "mOhm", values: s.result.curves.resistance.slice() },
      force: { unit: "kN", values: s.result.curves.force.slice() },
    },
  };
  tr.options.onTruth?.({ ...s.truth, time: isoTime(end) });

  switch (kind) {
    case "valid":
      return {
        topic: tr.plant.topic(cell, "weldSpot"),
        payload: Buffer.from(serializeWeldSpot(payload, s.result.scaled)),
        channel: "weldSpot",
        kind,
        publisher,
      };
    case "malformed-json":
      return {
        topic: tr.plant.topic(cell, "weldSpot"),
        payload: Buffer.from(corruptJson(serializeWeldSpot(payload, s.result.scaled), tr.badRng)),
        channel: "weldSpot",
        kind,
        publisher,
      };
    case "outside-tree":
      return {
        topic: tr.plant.topic(cell, "weldSpot", tr.badRng.pick(STRAY_TOPIC_VARIANTS)),
        payload: Buffer.from(serializeWeldSpot(payload, s.result.scaled)),
        channel: "weldSpot",
        kind,
        publisher,
      };
    case "unauthorized": {
      // A device publishing a model's result: a valid weld-quality payload on a results topic,
      // which the device role may not publish to.
      const quality: WeldQualityPayload = {
        spot: s.truth.spot,
        predictedNuggetDiameter: s.truth.nuggetDiameter,
        anomalyScore: 0,
        anomalyThreshold: 0.05,
        anomaly: false,
        verdict: "ok",
        model: { name: "self-assessment", version: "0.0.1" },
        time: isoTime(end),
      };
      return {
        topic: tr.plant.topic(cell, "weldQuality"),
        payload: json(quality),
        channel: "weldQuality",
        kind,
        publisher,
      };
    }
    default:
      mutateWeldSpot(payload, kind, tr.badRng);
      return {
        topic: tr.plant.topic(cell, "weldSpot"),
        payload: json(payload),
        channel: "weldSpot",
        kind,
        publisher,
      };
  }
}
