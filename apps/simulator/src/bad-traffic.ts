import type { WeldSpotPayload } from "./messages.js";
import type { Rng } from "./prng.js";

/**
 * Kinds of bad traffic the simulator can make, each a mistake seen in plants: the first five break
 * the weld-spot schema, `malformed-json` is not JSON at all, `outside-tree` goes to a topic the
 * tree does not govern, `unauthorized` publishes where the publisher's role has no rights.
 */
export const BAD_KINDS = [
  "missing-field",
  "wrong-type",
  "out-of-range",
  "wrong-unit",
  "extra-field",
  "malformed-json",
  "outside-tree",
  "unauthorized",
] as const;

export type BadKind = (typeof BAD_KINDS)[number];
export type MessageKind = "valid" | BadKind;

export function isBadKind(value: string): value is BadKind {
  return (BAD_KINDS as readonly string[]).includes(value);
}

/** Schema-breaking mutations applied to the payload object before it is serialized. */
export type SchemaBadKind = "missing-field" | "wrong-type" | "out-of-range" | "wrong-unit" | "extra-field";

type Mutation = (p: WeldSpotPayload, rng: Rng) => void;
// The payload is typed; mutations deliberately break the type, through this escape hatch only.
type Loose = Record<string, unknown>;
const loose = (x: object): Loose => x as Loose;

const anyIndex = (rng: Rng, values: unknown[]) => rng.int(0, values.length - 1);

/**
 * Each kind has several variants; every variant makes the payload invalid against the weld-spot
 * schema whatever the values were (a test applies each one to many spots).
 */
const MUTATIONS: Record<SchemaBadKind, Mutation[]> = {
  "missing-field": [
    (p) => delete loose(p).bodyId,
    (p) => delete loose(p).seq,
    (p) => delete loose(p).time,
    (p) => delete loose(p.schedule).current,
    (p) => delete loose(p.schedule).force,
    (p) => delete loose(p.electrode).tipDiameter,
    (p) => delete loose(p.measured).energy,
    (p) => delete loose(p.measured).expulsion,
    (p) => delete loose(p.source).controller,
    (p) => delete loose(p.curves).resistance,
  ],
  "wrong-type": [
    (p) => (loose(p).seq = String(p.seq)),
    (p) => (loose(p.measured).energy = String(p.measured.energy)),
    (p) => (loose(p.measured).expulsion = p.measured.expulsion ? "true" : "false"),
    (p) => (loose(p).bodyId = Number(p.bodyId.replace(/\D/g, "")) || 42),
    (p) => (loose(p.schedule).pulses = p.schedule.pulses + 0.5),
    (p, rng) => {
      const v = p.curves.resistance.values;
      (v as unknown[])[anyIndex(rng, v)] = String(v[0]);
    },
    (p) => (loose(p.time).start = Date.parse(p.time.start)),
    (p) => (loose(p.curves.current).values = p.curves.current.values.join(",")),
  ],
  "out-of-range": [
    (p, rng) => (p.schedule.current = rng.uniform(60, 200)),
    (p, rng) => (p.schedule.force = -rng.uniform(0.1, 3)),
    (p, rng) => (p.measured.stabilityFactor = rng.uniform(1.05, 3)),
    (p, rng) => (p.electrode.wear = rng.uniform(101, 400)),
    (p, rng) => {
      const v = p.curves.resistance.values;
      v[anyIndex(rng, v)] = -rng.uniform(0.01, 0.2);
    },
    (p, rng) => (p.schedule.weldTime = rng.int(6000, 60000)),
    (p) => (p.program = 0),
    (p, rng) => {
      const v = p.curves.voltage.values;
      v[anyIndex(rng, v)] = rng.uniform(11, 400);
    },
  ],
  // A controller configured with the wrong unit: values scaled as that unit, label changed where
  // the payload has one. The schema catches the label (const) and the range.
  "wrong-unit": [
    (p) => {
      loose(p.curves.current).unit = "A";
      p.curves.current.values = p.curves.current.values.map((v) => Math.round(v * 1000));
    },
    (p) => {
      loose(p.curves.force).unit = "N";
      p.curves.force.values = p.curves.force.values.map((v) => Math.round(v * 1000));
    },
    (p) => {
      loose(p.curves.resistance).unit = "uOhm";
      p.curves.resistance.values = p.curves.resistance.values.map((v) => Math.round(v * 10000) / 10);
    },
    // Energy in kJ instead of J: below the physical minimum of 50 J.
    (p) => (p.measured.energy = Math.round(p.measured.energy) / 1000),
    // Weld time in s instead of ms: not an integer and below 20 ms.
    (p) => (p.schedule.weldTime = p.schedule.weldTime / 1000),
    // Peak current in A instead of kA.
    (p) => (p.measured.peakCurrent = Math.round(p.measured.peakCurrent * 1000)),
  ],
  "extra-field": [
    (p) => (loose(p).operator = "shift-a"),
    (p, rng) => (loose(p.measured).temperature = Math.round(rng.uniform(1400, 1600))),
    (p) => (loose(p.schedule).gunType = "C"),
    (p) => (loose(p.curves).displacement = { unit: "mm", values: p.curves.force.values.map(() => 0) }),
    (p) => (loose(p.source).plc = "plc-01"),
  ],
};

export function mutateWeldSpot(payload: WeldSpotPayload, kind: SchemaBadKind, rng: Rng): void {
  rng.pick(MUTATIONS[kind])(payload, rng);
}

/** Number of variants per kind (for tests that exercise each one). */
export function mutationVariants(kind: SchemaBadKind): number {
  return MUTATIONS[kind].length;
}

export function mutateWeldSpotVariant(
  payload: WeldSpotPayload,
  kind: SchemaBadKind,
  variant: number,
  rng: Rng,
): void {
  const m = MUTATIONS[kind][variant];
  if (!m) throw new Error(`no variant ${variant} of ${kind}`);
  m(payload, rng);
}

/**
 * Breaks a JSON text the way broken serializers do: cut short (a lost packet tail), a NaN literal,
 * single quotes, or a trailing comma. Each result is rejected by JSON.parse.
 */
export function corruptJson(text: string, rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return text.slice(0, rng.int(1, text.length - 2));
    case 1:
      return text.replace(/"energy":[^,}]+/, '"energy":NaN').replace(/^\{/, '{"nan":NaN,');
    case 2:
      return text.replaceAll('"', "'");
    default:
      return `${text.slice(0, -1)},}`;
  }
}
