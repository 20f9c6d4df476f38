import { type BadKind, corruptJson, type MessageKind, mutateWeldSpot } from "./bad-traffic.js";
import { type ChannelId, DEVICE_CHANNELS } from "./channels.js";
import type { ImageStore } from "./image-store.js";
import {
  type AlarmPayload,
  type ImageEventPayload,
  isoTime,
  type LineCountsPayload,
  type LineStateName,
  type LineStatePayload,
  shiftOf,
  type WeldQualityPayload,
  type WeldSpotPayload,
  type WeldSpotTruthPayload,
} from "./messages.js";
import { type PanelSpot, renderPanel } from "./panel-image.js";
import type { CellModel, GunModel, LineModel, Plant } from "./plant.js";
import { createRng, type Rng } from "./prng.js";
import { STRAY_TOPIC_VARIANTS } from "./topics.js";
import { round, simulateSpot, type TruthFault, type WeldFault, type WeldProgram } from "./weld-physics.js";
import { serializeWeldSpot } from "./weld-spot-json.js";

/** One MQTT message to publish. */
export interface SimMessage {
  topic: string;
  payload: Buffer;
  /** The channel the message was made for (for bad traffic: the one it pretends to be). */
  channel: ChannelId;
  kind: MessageKind;
  /** Index of the publishing client (0 .. publishers - 1); fixed per device. */
  publisher: number;
}

export interface TrafficOptions {
  /** Seed of all randomness; the same seed, plant and options give byte-identical traffic. */
  seed?: string | number;
  /** Fraction of weld-spot messages replaced by bad traffic, 0..1. */
  badRate?: number;
  /** Kinds of bad traffic to draw from, uniformly. Default: all. */
  badKinds?: readonly BadKind[];
  /**
   * Plant time of the first cycle, ms since the epoch. When given, message times follow the
   * simulated plant clock (and never the wall clock), so runs are repeatable. When absent,
   * messages carry the wall-clock time at which they are built.
   */
  startTime?: number;
  /** Wall clock, for tests. Default Date.now. */
  now?: () => number;
  /** Channels to publish. Default: every device channel (imageEvent only with an image store). */
  channels?: readonly ChannelId[];
  /** Where camera images go; required for imageEvent. */
  imageStore?: ImageStore;
  /** Number of publishing clients that devices are spread over. Default 1. */
  publishers?: number;
  /** Called with the ground truth of every spot when its weld-spot message is built. */
  onTruth?: (truth: WeldSpotTruthPayload) => void;
}

export interface Traffic {
  readonly plant: Plant;
  readonly channels: ReadonlySet<ChannelId>;
  /** The next message. Traffic never ends; the caller decides when to stop. */
  next(): SimMessage;
  /** Plant cycles generated so far. */
  readonly cycles: number;
}

/** Points per resampled curve; fixed by the weld-spot contract (`curves.points: const 90`). */
export const CURVE_POINTS = 90;

const TIP_NOMINAL = 6.0; // mm, face diameter of a freshly dressed cap
const TIP_ALLOWED_GROWTH = 1.2; // mm, growth that counts as 100 % wear
const TIP_WORN = 6.85; // mm, beyond this the stepper no longer compensates

interface PlannedSpot {
  spotId: string;
  program: WeldProgram;
  /** Position in the inspection camera's image (fractions). */
  x: number;
  y: number;
  camera: number;
}

interface GunState {
  model: GunModel;
  cell: CellModel;
  physics: Rng;
  seq: number;
  spotsSinceDress: number;
  nextDressAt: number;
  dressCount: number;
  dresserBrokenFor: number;
  dresserAlarm: string | null;
  expulsionRun: number;
  spotsSinceExpulsion: number;
  streakAlarm: string | null;
  plan: PlannedSpot[];
}

interface BodyRecord {
  id: string;
  spots: { camera: number; spot: PanelSpot }[];
  nok: boolean;
}

interface LineRuntime {
  model: LineModel;
  rng: Rng;
  imageRng: Rng;
  bodyBase: number;
  produced: number;
  bodies: Map<number, BodyRecord>;
  stoppedFor: number;
  state: LineStateName;
  reason: string | null;
  since: number | null;
  stopAlarm: string | null;
  alarmSeq: number;
  alarms: Map<string, AlarmInfo>;
  // Cumulative tallies (since the start of the run); counts report them relative to the shift.
  total: number;
  good: number;
  bad: number;
  plannedCycles: number;
  runCycles: number;
  shift: string | null;
  shiftBase: Tally;
  cameraSeq: Map<string, number>;
  /** Fractions of the image height where each camera sees a flange, by camera index. */
  flanges: number[][];
}

type AlarmInfo = Pick<AlarmPayload, "source" | "severity" | "code" | "text"> & { raisedAt?: number };

interface Tally {
  total: number;
  good: number;
  bad: number;
  plannedCycles: number;
  runCycles: number;
}

interface Pending {
  time: number;
  build: (time: number) => SimMessage;
}

/**
 * Creates the endless, deterministic message stream of a simulated plant.
 *
 * Every line advances one cycle at a time; in a cycle each weld cell welds its body (each gun its
 * planned spots), the inspection cell photographs the body that left the last weld cell, and the
 * line reports its counts. Physics is computed when a cycle is planned; payloads (and images) are
 * built when a message is taken, which is when the wall-clock time is read in live mode.
 *
 * @example
 * const traffic = createTraffic(createPlant(), { seed: 7, startTime: Date.parse("2026-03-02T06:00:00Z") });
 * const first = traffic.next(); // { topic: "acme/neckarsulm/body-shop/line-01/state", ... }
 */
export function createTraffic(plant: Plant, options: TrafficOptions = {}): Traffic {
  const seed = String(options.seed ?? 1);
  const root = createRng(seed);
  const badRng = root.fork("bad");
  const badRate = options.badRate ?? 0;
  const badKinds = options.badKinds ?? [];
  if (badRate < 0 || badRate > 1) throw new RangeError(`badRate must be within 0..1, got ${badRate}`);
  if (badRate > 0 && badKinds.length === 0) throw new RangeError("badRate > 0 needs at least one bad kind");
  const fixedClock = options.startTime !== undefined;
  const startTime = options.startTime ?? 0;
  const now = options.now ?? Date.now;
  const publishers = Math.max(1, options.publishers ?? 1);
  const imageStore = options.imageStore;
  const channels = new Set<ChannelId>(
    options.channels ?? DEVICE_CHANNELS.filter((c) => c !== "imageEvent" || imageStore !== undefined),
  );
  if (channels.has("imageEvent") && !imageStore)
    throw new Error("the imageEvent channel needs an image store");
  const proc = plant.config.process;
  const images = plant.config.images;

  const guns = new Map<CellModel, GunState[]>();
  const lines: LineRuntime[] = plant.lines.map((line) => {
    const rng = root.fork(`line:${line.site}/${line.area}/${line.id}`);
    const cameraCount = Math.max(
      1,
      ...line.cells.filter((c) => c.role === "inspection").map((c) => c.cameras.length),
    );
    const flanges: number[][] = Array.from({ length: cameraCount }, () => []);
    // Each gun's flange is seen by one camera of the inspection cell, one flange per image row.
    const lineGuns: { g: GunState; row: number }[] = [];
    for (const cell of line.cells) {
      if (cell.role !== "weld") continue;
      const states: GunState[] = [];
      for (const model of cell.guns) {
        const camera = lineGuns.length % cameraCount;
        const rows = flanges[camera]!;
        rows.push(0);
        const g = createGun(plant, line, cell, model, camera, root);
        lineGuns.push({ g, row: rows.length - 1 });
        states.push(g);
      }
      guns.set(cell, states);
    }
    for (const [c, rows] of flanges.entries()) flanges[c] = rows.map((_, i) => (i + 1) / (rows.length + 1));
    for (const { g, row } of lineGuns) {
      for (const s of g.plan) s.y = flanges[s.camera]![row]!;
    }
    return {
      model: line,
      rng,
      imageRng: root.fork(`images:${line.site}/${line.area}/${line.id}`),
      bodyBase: rng.int(1000, 90000),
      produced: 0,
      bodies: new Map(),
      stoppedFor: 0,
      state: "running",
      reason: null,
      since: null,
      stopAlarm: null,
      alarmSeq: 0,
      alarms: new Map(),
      total: 0,
      good: 0,
      bad: 0,
      plannedCycles: 0,
      runCycles: 0,
      shift: null,
      shiftBase: { total: 0, good: 0, bad: 0, plannedCycles: 0, runCycles: 0 },
      cameraSeq: new Map(),
      flanges,
    };
  });

  let queue: Pending[] = [];
  let head = 0;
  let cycle = 0;

  const at = (time: number) => (fixedClock ? time : now());

  function planCycle(): void {
    const pending: Pending[] = [];
    for (const rt of lines) planLine(rt, pending);
    // Within a cycle, messages go out in plant-time order (stable for equal times).
    pending.sort((a, b) => a.time - b.time);
    queue = pending;
    head = 0;
    cycle++;
  }

  function planLine(rt: LineRuntime, out: Pending[]): void {
    const line = rt.model;
    const cycleMs = line.cycleTime * 1000;
    const t0 = startTime + cycle * cycleMs;
    // `channel` decides whether the message is wanted: for bad traffic, the channel it replaces.
    const push = (time: number, channel: ChannelId, build: (time: number) => SimMessage) => {
      if (channels.has(channel)) out.push({ time, build });
    };
    const linePublisher = line.index % publishers;
    rt.plannedCycles++;

    if (cycle === 0) push(t0, "lineState", (t) => lineStateMessage(rt, t, linePublisher));

    if (rt.stoppedFor > 0) {
      rt.stoppedFor--;
      if (rt.stoppedFor === 0) {
        const alarm = rt.stopAlarm;
        rt.state = "running";
        rt.reason = null;
        rt.since = null;
        rt.stopAlarm = null;
        const t = t0 + cycleMs - 1;
        push(t, "lineState", (time) => lineStateMessage(rt, time, linePublisher));
        if (alarm) push(t, "alarm", (time) => alarmMessage(rt, alarm, "cleared", time, linePublisher));
      }
      return;
    }
    if (cycle > 0 && rt.rng.chance(proc.lineStop.probability)) {
      rt.stoppedFor = rt.rng.int(proc.lineStop.minCycles, proc.lineStop.maxCycles);
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
      push(t0, "lineState", (t) => lineStateMessage(rt, t, linePublisher));
      push(t0, "alarm", (t) => alarmMessage(rt, id, "raised", t, linePublisher));
      return;
    }
    rt.runCycles++;
    if (cycle > 0 && cycle % proc.heartbeatCycles === 0) {
      push(t0, "lineState", (t) => lineStateMessage(rt, t, linePublisher));
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
      const cellPublisher = cell.index % publishers;
      if (cell.role === "weld") {
        planWeldCell(rt, cell, body, t0, cycleMs, cellPublisher, push);
      } else {
        planInspection(rt, cell, body, t0, cellPublisher, push);
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
        push(t0 + cycleMs - 500, "lineCounts", (t) => lineCountsMessage(rt, tally, last, t, linePublisher));
      }
    }
    rt.produced++;
  }

  type Push = (time: number, channel: ChannelId, build: (time: number) => SimMessage) => void;

  function planWeldCell(
    rt: LineRuntime,
    cell: CellModel,
    body: BodyRecord,
    t0: number,
    cycleMs: number,
    publisher: number,
    push: Push,
  ): void {
    const states = guns.get(cell) ?? [];
    const spots = proc.spotsPerGun;
    // Robots weld in parallel; each gun's spots are spread over 80 % of the cycle.
    const spacing = (cycleMs * 0.8) / spots;
    for (const g of states) {
      for (let j = 0; j < spots; j++) {
        const planned = g.plan[j]!;
        const end = t0 + 2000 + j * spacing + g.model.position * 137 + 900;
        dressIfDue(rt, g, end - 800, publisher, push);
        const spot = weldOneSpot(g, planned, body);
        body.spots.push({
          camera: planned.camera,
          spot: { spotId: planned.spotId, x: planned.x, y: planned.y, expulsion: spot.truth.expulsion },
        });
        if (spot.truth.quality === "nok") body.nok = true;

        let kind: MessageKind = "valid";
        if (badRate > 0 && channels.has("weldSpot") && badRng.next() < badRate) kind = badRng.pick(badKinds);
        push(end, "weldSpot", (t) => weldSpotMessage(rt, cell, g, spot, t, kind, publisher));
        if (channels.has("weldSpotTruth")) {
          push(end, "weldSpotTruth", (t) => ({
            topic: plant.topic(cell, "weldSpotTruth"),
            payload: json({ ...spot.truth, time: isoTime(t) }),
            channel: "weldSpotTruth",
            kind: "valid",
            publisher,
          }));
        }
        trackExpulsions(rt, g, spot.measured.expulsion, end, publisher, push);
      }
    }
  }

  interface SimulatedSpot {
    planned: PlannedSpot;
    seq: number;
    bodyId: string;
    electrode: WeldSpotPayload["electrode"];
    stepper: number;
    result: ReturnType<typeof simulateSpot>;
    measured: ReturnType<typeof simulateSpot>["measured"];
    truth: Omit<WeldSpotTruthPayload, "time">;
  }

  function weldOneSpot(g: GunState, planned: PlannedSpot, body: BodyRecord): SimulatedSpot {
    const rng = g.physics;
    const tipDiameter = TIP_NOMINAL - 0.05 + 0.004 * g.dressCount + 0.026 * g.spotsSinceDress ** 0.6;
    const stepper = 1 + (proc.stepperMax - 1) * Math.min(1, g.spotsSinceDress / proc.tipDressInterval);
    const draw = rng.next();
    const f = proc.faults;
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

  function dressIfDue(rt: LineRuntime, g: GunState, time: number, publisher: number, push: Push): void {
    if (g.spotsSinceDress < g.nextDressAt) return;
    const device = g.model.controller;
    const failed = g.dresserBrokenFor > 0 || g.physics.chance(proc.faults.dresserFailure);
    if (failed) {
      if (g.dresserBrokenFor === 0) g.dresserBrokenFor = g.physics.int(1, 3);
      g.dresserBrokenFor--;
      g.nextDressAt = g.spotsSinceDress + Math.ceil(proc.tipDressInterval / 2);
      if (!g.dresserAlarm) {
        const id = nextAlarmId(rt, "TIP-DRESS-FAILED");
        g.dresserAlarm = id;
        registerAlarm(rt, id, {
          source: { cell: g.cell.id, device },
          severity: "warning",
          code: "TIP-DRESS-FAILED",
          text: `Tip dresser did not cut: the caps of ${g.model.robot}/${g.model.gun} were not dressed`,
        });
        push(time, "alarm", (t) => alarmMessage(rt, id, "raised", t, publisher));
      }
      return;
    }
    g.spotsSinceDress = 0;
    g.nextDressAt = proc.tipDressInterval;
    g.dressCount++;
    if (g.dresserAlarm) {
      const id = g.dresserAlarm;
      g.dresserAlarm = null;
      push(time, "alarm", (t) => alarmMessage(rt, id, "cleared", t, publisher));
    }
    if (g.dressCount >= proc.tipChangeAfter) {
      g.dressCount = 0;
      const id = nextAlarmId(rt, "TIP-CHANGE");
      registerAlarm(rt, id, {
        source: { cell: g.cell.id, device },
        severity: "info",
        code: "TIP-CHANGE",
        text: `Electrode caps of ${g.model.robot}/${g.model.gun} changed after ${proc.tipChangeAfter} dressings`,
      });
      push(time, "alarm", (t) => alarmMessage(rt, id, "raised", t, publisher));
      push(time + 1, "alarm", (t) => alarmMessage(rt, id, "cleared", t, publisher));
    }
  }

  function trackExpulsions(
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
      push(time, "alarm", (t) => alarmMessage(rt, id, "raised", t, publisher));
    } else if (g.streakAlarm && g.spotsSinceExpulsion >= 25) {
      const id = g.streakAlarm;
      g.streakAlarm = null;
      push(time, "alarm", (t) => alarmMessage(rt, id, "cleared", t, publisher));
    }
  }

  function planInspection(
    rt: LineRuntime,
    cell: CellModel,
    body: BodyRecord,
    t0: number,
    publisher: number,
    push: Push,
  ): void {
    if (!channels.has("imageEvent")) return;
    // Copy what the camera will see now: the body record is dropped when it leaves the line.
    const seen = body.spots.slice();
    for (const [c, camera] of cell.cameras.entries()) {
      const spots = seen.filter((s) => s.camera === c % rt.flanges.length).map((s) => s.spot);
      push(t0 + 4000 + c * 250, "imageEvent", (t) =>
        imageEventMessage(rt, cell, camera, c, body.id, spots, t, publisher),
      );
    }
  }

  // --- message builders (run when the message is taken) ---

  function weldSpotMessage(
    rt: LineRuntime,
    cell: CellModel,
    g: GunState,
    s: SimulatedSpot,
    time: number,
    kind: MessageKind,
    publisher: number,
  ): SimMessage {
    const end = at(time);
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
    options.onTruth?.({ ...s.truth, time: isoTime(end) });

    switch (kind) {
      case "valid":
        return {
          topic: plant.topic(cell, "weldSpot"),
          payload: Buffer.from(serializeWeldSpot(payload, s.result.scaled)),
          channel: "weldSpot",
          kind,
          publisher,
        };
      case "malformed-json":
        return {
          topic: plant.topic(cell, "weldSpot"),
          payload: Buffer.from(corruptJson(serializeWeldSpot(payload, s.result.scaled), badRng)),
          channel: "weldSpot",
          kind,
          publisher,
        };
      case "outside-tree":
        return {
          topic: plant.topic(cell, "weldSpot", badRng.pick(STRAY_TOPIC_VARIANTS)),
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
          topic: plant.topic(cell, "weldQuality"),
          payload: json(quality),
          channel: "weldQuality",
          kind,
          publisher,
        };
      }
      default:
        mutateWeldSpot(payload, kind, badRng);
        return {
          topic: plant.topic(cell, "weldSpot"),
          payload: json(payload),
          channel: "weldSpot",
          kind,
          publisher,
        };
    }
  }

  function imageEventMessage(
    rt: LineRuntime,
    cell: CellModel,
    camera: CellModel["cameras"][number],
    cameraIndex: number,
    bodyId: string,
    spots: PanelSpot[],
    time: number,
    publisher: number,
  ): SimMessage {
    const captured = at(time);
    const key = `${cell.id}/${camera.id}`;
    const sequence = (rt.cameraSeq.get(key) ?? 0) + 1;
    rt.cameraSeq.set(key, sequence);
    const flanges = rt.flanges[cameraIndex % rt.flanges.length] ?? [];
    const { image, truth } = renderPanel(
      images.width,
      images.height,
      `${rt.model.site}/${rt.model.id}/${key}`,
      flanges,
      spots,
      rt.imageRng,
    );
    const stored = imageStore!.put(
      `${rt.model.site}/${rt.model.area}/${rt.model.id}/${cell.id}/${bodyId}-${camera.id}`,
      image,
      { bodyId, camera: camera.id, station: cell.id, ...truth },
    );
    const payload: ImageEventPayload = {
      eventId: `${cell.id}-${camera.id}-${String(sequence).padStart(6, "0")}`,
      camera: camera.id,
      station: cell.id,
      bodyId,
      sequence,
      captureTime: isoTime(captured),
      image: {
        uri: stored.uri,
        width: images.width,
        height: images.height,
        format: "png",
        size: stored.size,
        checksum: stored.checksum,
      },
      exposure: { time: camera.exposure, gain: camera.gain },
      groundTruth: stored.truthUri,
    };
    return {
      topic: plant.topic(cell, "imageEvent"),
      payload: json(payload),
      channel: "imageEvent",
      kind: "valid",
      publisher,
    };
  }

  function lineStateMessage(rt: LineRuntime, time: number, publisher: number): SimMessage {
    const t = at(time);
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
      topic: plant.topic(rt.model, "lineState"),
      payload: json(payload),
      channel: "lineState",
      kind: "valid",
      publisher,
    };
  }

  function lineCountsMessage(
    rt: LineRuntime,
    tally: Tally,
    last: "good" | "bad",
    time: number,
    publisher: number,
  ): SimMessage {
    const t = at(time);
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
      topic: plant.topic(rt.model, "lineCounts"),
      payload: json(payload),
      channel: "lineCounts",
      kind: "valid",
      publisher,
    };
  }

  // Alarm ids are unique in the plant (site and line in the id); open alarms are kept per line.
  function nextAlarmId(rt: LineRuntime, code: string): string {
    rt.alarmSeq++;
    return `${rt.model.site}-${rt.model.id}-${code.toLowerCase()}-${String(rt.alarmSeq).padStart(6, "0")}`;
  }

  function registerAlarm(rt: LineRuntime, id: string, a: AlarmInfo): void {
    rt.alarms.set(id, a);
  }

  function alarmMessage(
    rt: LineRuntime,
    id: string,
    state: "raised" | "cleared",
    time: number,
    publisher: number,
  ): SimMessage {
    const t = at(time);
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
      topic: plant.topic(rt.model, "alarm"),
      payload: json(payload),
      channel: "alarm",
      kind: "valid",
      publisher,
    };
  }

  return {
    plant,
    channels,
    get cycles() {
      return cycle;
    },
    next() {
      while (head >= queue.length) planCycle();
      const p = queue[head]!;
      queue[head++] = undefined as unknown as Pending; // let the payload closures be collected
      return p.build(p.time);
    },
  };
}

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

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function createGun(
  plant: Plant,
  line: LineModel,
  cell: CellModel,
  model: GunModel,
  camera: number,
  root: Rng,
): GunState {
  const key = `${line.site}/${line.area}/${line.id}/${model.controller}`;
  const physics = root.fork(`gun:${key}`);
  const planRng = root.fork(`plan:${key}`);
  const proc = plant.config.process;
  const cellDigits = cell.id.replace(/\D/g, "") || String(cell.position + 1);
  const many = cell.guns.filter((g) => g.robot === model.robot).length > 1;
  const tag = (model.robot + (many ? model.gun : "")).toUpperCase().replace(/[^A-Z0-9]/g, "");
  const plan: PlannedSpot[] = [];
  for (let j = 0; j < proc.spotsPerGun; j++) {
    const number = model.programs[j % model.programs.length]!;
    const program = plant.programs.get(number);
    if (!program) throw new Error(`gun ${model.controller}: no weld program ${number}`);
    plan.push({
      spotId: `S${cellDigits}-${tag}-${String(j + 1).padStart(2, "0")}`,
      program,
      x: 0.06 + (0.88 * (j + 0.5)) / proc.spotsPerGun + planRng.uniform(-0.01, 0.01),
      y: 0,
      camera,
    });
  }
  // Guns start somewhere in their dress interval, as they would at any moment of a shift.
  const spotsSinceDress = planRng.int(0, proc.tipDressInterval - 1);
  return {
    model,
    cell,
    physics,
    seq: planRng.int(10_000, 900_000),
    spotsSinceDress,
    nextDressAt: proc.tipDressInterval,
    dressCount: planRng.int(0, proc.tipChangeAfter - 1),
    dresserBrokenFor: 0,
    dresserAlarm: null,
    expulsionRun: 0,
    spotsSinceExpulsion: 0,
    streakAlarm: null,
    plan,
  };
}
