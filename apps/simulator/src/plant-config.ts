import { readFileSync } from "node:fs";
import { UnsError } from "@uns/errors";
import { Ajv, type ErrorObject } from "ajv";
import { parse as parseYaml } from "yaml";
import type { WeldProgram } from "./weld-physics.js";

/** A plant to simulate: the hierarchy of the topic tree plus the equipment in each cell. */
export interface PlantConfig {
  enterprise: string;
  sites: SiteConfig[];
  /** Weld programs the robots use, by number. */
  programs: WeldProgram[];
  process: ProcessConfig;
  images: ImageConfig;
}

export interface SiteConfig {
  id: string;
  /** Short upper-case code used in body ids (e.g. NSU). */
  code: string;
  areas: AreaConfig[];
}

export interface AreaConfig {
  id: string;
  lines: LineConfig[];
}

export interface LineConfig {
  id: string;
  /** Planned cycle time per body, s. */
  cycleTime: number;
  /** Ideal (fastest) cycle time per body, s; for OEE performance. */
  idealCycleTime: number;
  /** Cells in the order a body passes them. */
  cells: CellConfig[];
}

/** A weld cell has robots; an inspection cell has cameras. */
export interface CellConfig {
  id: string;
  robots?: RobotConfig[];
  cameras?: CameraConfig[];
}

export interface RobotConfig {
  id: string;
  /** Weld guns of the robot (usually one). */
  guns: string[];
  /** Program numbers the robot's spots use, in turn. */
  programs: number[];
}

export interface CameraConfig {
  id: string;
  /** Exposure time, ms. */
  exposure: number;
  /** Sensor gain, dB. */
  gain: number;
}

export interface ProcessConfig {
  /** Spots each gun welds per body. */
  spotsPerGun: number;
  /** Spots between two tip dressings. */
  tipDressInterval: number;
  /** Dressings before the caps are changed. */
  tipChangeAfter: number;
  /** Current stepper factor reached at the end of a dress interval (1.08 = +8 %). */
  stepperMax: number;
  /** Probability per spot (expulsion, coldWeld, shunting) or per dressing (dresserFailure). */
  faults: { expulsion: number; coldWeld: number; shunting: number; dresserFailure: number };
  /** Probability per cycle that a line stops, and how many cycles it stays stopped. */
  lineStop: { probability: number; minCycles: number; maxCycles: number };
  /** A line-state heartbeat every this many cycles. */
  heartbeatCycles: number;
}

export interface ImageConfig {
  /** px */ width: number;
  /** px */ height: number;
}

const id = { type: "string", pattern: "^[a-z0-9][a-z0-9_.-]{0,63}$" };
const probability = { type: "number", minimum: 0, maximum: 1 };

/**
 * JSON Schema of the plant config. Defaults are filled in by ajv (`useDefaults`), so a config file
 * only needs the plant hierarchy; programs, process and image settings fall back to the defaults.
 */
export const plantConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["enterprise", "sites"],
  properties: {
    enterprise: id,
    sites: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "code", "areas"],
        properties: {
          id,
          code: { type: "string", pattern: "^[A-Z0-9]{2,6}$" },
          areas: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              additionalProperties: false,
              required: ["id", "lines"],
              properties: {
                id,
                lines: {
                  type: "array",
                  minItems: 1,
                  items: {
                    type: "object",
                    additionalProperties: false,
                    required: ["id", "cells"],
                    properties: {
                      id,
                      cycleTime: { type: "number", minimum: 1, maximum: 3600, default: 60 },
                      idealCycleTime: { type: "number", minimum: 1, maximum: 3600, default: 54 },
                      cells: {
                        type: "array",
                        minItems: 1,
                        items: {
                          type: "object",
                          additionalProperties: false,
                          required: ["id"],
                          properties: {
                            id,
                            robots: {
                              type: "array",
                              items: {
                                type: "object",
                                additionalProperties: false,
                                required: ["id"],
                                properties: {
                                  id,
                                  guns: { type: "array", minItems: 1, items: id, default: ["g01"] },
                                  programs: {
                                    type: "array",
                                    minItems: 1,
                                    items: { type: "integer", minimum: 1, maximum: 255 },
                                    default: [12],
                                  },
                                },
                              },
                            },
                            cameras: {
                              type: "array",
                              items: {
                                type: "object",
                                additionalProperties: false,
                                required: ["id"],
                                properties: {
                                  id,
                                  exposure: {
                                    type: "number",
                                    exclusiveMinimum: 0,
                                    maximum: 1000,
                                    default: 2.5,
                                  },
                                  gain: { type: "number", minimum: 0, maximum: 48, default: 6 },
                                },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    programs: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["number", "sheets", "current", "weldTime", "force"],
        properties: {
          number: { type: "integer", minimum: 1, maximum: 255 },
          sheets: {
            type: "array",
            minItems: 2,
            maxItems: 4,
            items: { type: "number", minimum: 0.3, maximum: 5 },
          },
          coated: { type: "boolean", default: false },
          current: { type: "number", minimum: 1, maximum: 25 },
          weldTime: { type: "integer", minimum: 20, maximum: 5000 },
          pulses: { type: "integer", minimum: 1, maximum: 5, default: 1 },
          coolTime: { type: "integer", minimum: 0, maximum: 500, default: 0 },
          force: { type: "number", minimum: 0.5, maximum: 10 },
          squeezeTime: { type: "integer", minimum: 0, maximum: 2000, default: 60 },
          holdTime: { type: "integer", minimum: 0, maximum: 2000, default: 100 },
          upslope: { type: "integer", minimum: 0, maximum: 100, default: 10 },
        },
      },
    },
    process: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        spotsPerGun: { type: "integer", minimum: 1, maximum: 500, default: 12 },
        tipDressInterval: { type: "integer", minimum: 10, maximum: 5000, default: 200 },
        tipChangeAfter: { type: "integer", minimum: 1, maximum: 1000, default: 30 },
        stepperMax: { type: "number", minimum: 1, maximum: 1.3, default: 1.08 },
        faults: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            expulsion: { ...probability, default: 0.02 },
            coldWeld: { ...probability, default: 0.004 },
            shunting: { ...probability, default: 0.006 },
            dresserFailure: { ...probability, default: 0.02 },
          },
        },
        lineStop: {
          type: "object",
          additionalProperties: false,
          default: {},
          properties: {
            probability: { ...probability, default: 0.004 },
            minCycles: { type: "integer", minimum: 1, default: 2 },
            maxCycles: { type: "integer", minimum: 1, default: 8 },
          },
        },
        heartbeatCycles: { type: "integer", minimum: 1, default: 10 },
      },
    },
    images: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        width: { type: "integer", minimum: 64, maximum: 8192, default: 640 },
        height: { type: "integer", minimum: 64, maximum: 8192, default: 400 },
      },
    },
  },
} as const;

/** The weld programs used when a config names none: three common sheet stacks of a body in white. */
export const DEFAULT_PROGRAMS: WeldProgram[] = [
  {
    number: 12,
    sheets: [1.0, 1.0],
    coated: false,
    current: 9.0,
    weldTime: 280,
    pulses: 1,
    coolTime: 0,
    force: 3.2,
    squeezeTime: 60,
    holdTime: 100,
    upslope: 10,
  },
  {
    number: 17,
    sheets: [1.2, 1.5],
    coated: true,
    current: 8.6,
    weldTime: 340,
    pulses: 2,
    coolTime: 40,
    force: 3.8,
    squeezeTime: 80,
    holdTime: 120,
    upslope: 8,
  },
  {
    number: 23,
    sheets: [0.8, 1.0],
    coated: false,
    current: 9.9,
    weldTime: 220,
    pulses: 1,
    coolTime: 0,
    force: 2.8,
    squeezeTime: 60,
    holdTime: 100,
    upslope: 10,
  },
];

export class PlantConfigError extends UnsError<"UNS_ERR_SIM_CONFIG"> {
  override readonly name = "PlantConfigError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super("UNS_ERR_SIM_CONFIG", message);
  }
}

let validator: ReturnType<Ajv["compile"]> | undefined;

/**
 * Checks a plant config (from YAML or an object), fills in defaults and cross-checks references
 * (program numbers, unique ids). Throws a PlantConfigError that lists every problem at once.
 */
export function parsePlantConfig(input: unknown, source = "plant config"): PlantConfig {
  // Work on a copy: ajv's useDefaults writes into the object it validates.
  const config = structuredClone(input) as Record<string, unknown>;
  validator ??= new Ajv({ allErrors: true, useDefaults: true, strict: true }).compile(plantConfigSchema);
  if (!validator(config)) {
    const problems = (validator.errors ?? []).map(
      (e: ErrorObject) => `${e.instancePath || "/"} ${e.message}`,
    );
    throw new PlantConfigError(`${source} is invalid:\n  ${problems.join("\n  ")}`, problems);
  }
  const plant = config as unknown as PlantConfig;
  plant.programs ??= structuredClone(DEFAULT_PROGRAMS);

  const problems: string[] = [];
  const programNumbers = new Set(plant.programs.map((p) => p.number));
  if (programNumbers.size !== plant.programs.length)
    problems.push("/programs: program numbers must be unique");
  const unique = (where: string, ids: string[]) => {
    const seen = new Set<string>();
    for (const x of ids) {
      if (seen.has(x)) problems.push(`${where}: duplicate id "${x}"`);
      seen.add(x);
    }
  };
  unique(
    "/sites",
    plant.sites.map((s) => s.id),
  );
  for (const [si, site] of plant.sites.entries()) {
    unique(
      `/sites/${si}/areas`,
      site.areas.map((a) => a.id),
    );
    for (const [ai, area] of site.areas.entries()) {
      unique(
        `/sites/${si}/areas/${ai}/lines`,
        area.lines.map((l) => l.id),
      );
      for (const [li, line] of area.lines.entries()) {
        const at = `/sites/${si}/areas/${ai}/lines/${li}`;
        unique(
          `${at}/cells`,
          line.cells.map((c) => c.id),
        );
        for (const [ci, cell] of line.cells.entries()) {
          const robots = cell.robots ?? [];
          const cameras = cell.cameras ?? [];
          if (robots.length > 0 && cameras.length > 0)
            problems.push(
              `${at}/cells/${ci}: a cell has robots (weld cell) or cameras (inspection cell), not both`,
            );
          if (robots.length === 0 && cameras.length === 0)
            problems.push(`${at}/cells/${ci}: a cell needs robots (weld cell) or cameras (inspection cell)`);
          unique(
            `${at}/cells/${ci}/robots`,
            robots.map((r) => r.id),
          );
          unique(
            `${at}/cells/${ci}/cameras`,
            cameras.map((c) => c.id),
          );
          for (const [ri, robot] of robots.entries()) {
            for (const n of robot.programs) {
              if (!programNumbers.has(n))
                problems.push(`${at}/cells/${ci}/robots/${ri}/programs: no program ${n} in /programs`);
            }
          }
        }
      }
    }
  }
  if (plant.process.lineStop.maxCycles < plant.process.lineStop.minCycles)
    problems.push("/process/lineStop: maxCycles must be >= minCycles");
  if (problems.length > 0)
    throw new PlantConfigError(`${source} is invalid:\n  ${problems.join("\n  ")}`, problems);
  return plant;
}

/** Reads a plant config from a YAML (or JSON) file. */
export function loadPlantConfig(file: string): PlantConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new PlantConfigError(`cannot read plant config ${file}: ${(cause as Error).message}`, []);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new PlantConfigError(`${file} is not valid YAML: ${(cause as Error).message}`, []);
  }
  return parsePlantConfig(data, file);
}
