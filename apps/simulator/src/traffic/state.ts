/**
 * The traffic generator's shared state: the planner and each message builder take it (`tr`)
 * explicitly, so what a step reads or changes shows in its signature.
 */
import type { BadKind } from "../bad-traffic.js";
import { type ChannelId, DEVICE_CHANNELS } from "../channels.js";
import type { ImageStore } from "../image-store.js";
import type { AlarmPayload, LineStateName, WeldSpotPayload, WeldSpotTruthPayload } from "../messages.js";
import type { PanelSpot } from "../panel-image.js";
import type { CellModel, GunModel, LineModel, Plant } from "../plant.js";
import { createRng, type Rng } from "../prng.js";
import type { SimMessage, TrafficOptions } from "../traffic.js";
import type { simulateSpot, WeldProgram } from "../weld-physics.js";

/** Points per resampled curve; fixed by the weld-spot contract (`curves.points: const 90`). */
export const CURVE_POINTS = 90;

export interface PlannedSpot {
  spotId: string;
  program: WeldProgram;
  /** Position in the inspection camera's image (fractions). */
  x: number;
  y: number;
  camera: number;
}

export interface GunState {
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

export interface BodyRecord {
  id: string;
  spots: { camera: number; spot: PanelSpot }[];
  nok: boolean;
}

export interface LineRuntime {
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

export type AlarmInfo = Pick<AlarmPayload, "source" | "severity" | "code" | "text"> & { raisedAt?: number };

export interface Tally {
  total: number;
  good: number;
  bad: number;
  plannedCycles: number;
  runCycles: number;
}

export interface Pending {
  time: number;
  build: (time: number) => SimMessage;
}

export type Push = (time: number, channel: ChannelId, build: (time: number) => SimMessage) => void;

export interface SimulatedSpot {
  planned: PlannedSpot;
  seq: number;
  bodyId: string;
  electrode: WeldSpotPayload["electrode"];
  stepper: number;
  result: ReturnType<typeof simulateSpot>;
  measured: ReturnType<typeof simulateSpot>["measured"];
  truth: Omit<WeldSpotTruthPayload, "time">;
}

export interface TrafficState {
  plant: Plant;
  options: TrafficOptions;
  badRng: Rng;
  badRate: number;
  badKinds: readonly BadKind[];
  /** Message times follow the plant clock (`startTime` given) rather than the wall clock. */
  fixedClock: boolean;
  startTime: number;
  now: () => number;
  publishers: number;
  imageStore: ImageStore | undefined;
  channels: Set<ChannelId>;
  proc: Plant["config"]["process"];
  images: Plant["config"]["images"];
  guns: Map<CellModel, GunState[]>;
  lines: LineRuntime[];
  /** The planned messages of the current cycle, taken from `head` on. */
  queue: Pending[];
  head: number;
  cycle: number;
}

export function createTrafficState(plant: Plant, options: TrafficOptions): TrafficState {
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

  const guns = new Map<CellModel, GunState[]>();
  const lines = plant.lines.map((line) => createLine(plant, line, root, guns));

  return {
    plant,
    options,
    badRng,
    badRate,
    badKinds,
    fixedClock,
    startTime,
    now,
    publishers,
    imageStore,
    channels,
    proc: plant.config.process,
    images: plant.config.images,
    guns,
    lines,
    queue: [],
    head: 0,
    cycle: 0,
  };
}

/** A line's runtime state; registers its guns in `guns` and gives each gun's flange a camera image row. */
function createLine(plant: Plant, line: LineModel, root: Rng, guns: Map<CellModel, GunState[]>): LineRuntime {
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
}

/** A message's time: the planned plant time, or the wall clock when it is built in live mode. */
export const at = (tr: TrafficState, time: number): number => (tr.fixedClock ? time : tr.now());

export function json(value: unknown): Buffer {
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
