import type { ChannelId } from "./channels.js";
import { defaultPlantConfig } from "./default-plant.js";
import type { CameraConfig, PlantConfig } from "./plant-config.js";
import { parsePlantConfig } from "./plant-config.js";
import { type PlantPath, type StrayTopicVariant, topicFor } from "./topics.js";
import type { WeldProgram } from "./weld-physics.js";

export interface Plant {
  config: PlantConfig;
  enterprise: string;
  lines: LineModel[];
  /** Every cell of every line, in plant order. */
  cells: CellModel[];
  programs: ReadonlyMap<number, WeldProgram>;
  /** The topic of a channel at a line or cell (the one way the simulator builds topics). */
  topic(at: LineModel | CellModel, channel: ChannelId, stray?: StrayTopicVariant): string;
}

export interface LineModel {
  kind: "line";
  /** Position in `Plant.lines`. */
  index: number;
  site: string;
  siteCode: string;
  area: string;
  id: string;
  path: PlantPath;
  cycleTime: number;
  idealCycleTime: number;
  cells: CellModel[];
  /** Prefix of the body ids built on this line, e.g. NSU01. */
  bodyPrefix: string;
}

export interface CellModel {
  kind: "cell";
  /** Position in `Plant.cells`. */
  index: number;
  /** Position of the cell in its line (the order a body passes). */
  position: number;
  line: LineModel;
  id: string;
  path: PlantPath;
  role: "weld" | "inspection";
  guns: GunModel[];
  cameras: CameraConfig[];
}

export interface GunModel {
  robot: string;
  gun: string;
  /** Controller (weld timer) id, unique in the line: `<cell>-<robot>-<gun>`. */
  controller: string;
  programs: number[];
  /** Position of the gun among the cell's guns. */
  position: number;
}

/**
 * Builds the plant model from a config (or the built-in demonstration plant).
 *
 * @example
 * const plant = createPlant();
 * plant.topic(plant.cells[0]!, "weldSpot"); // "acme/neckarsulm/body-shop/line-01/cell-010/weld-spot"
 */
export function createPlant(config?: PlantConfig | unknown): Plant {
  const cfg = config === undefined ? defaultPlantConfig() : parsePlantConfig(config);
  const lines: LineModel[] = [];
  const cells: CellModel[] = [];
  for (const site of cfg.sites) {
    for (const area of site.areas) {
      for (const lineCfg of area.lines) {
        const digits = lineCfg.id.replace(/\D/g, "");
        const line: LineModel = {
          kind: "line",
          index: lines.length,
          site: site.id,
          siteCode: site.code,
          area: area.id,
          id: lineCfg.id,
          path: { enterprise: cfg.enterprise, site: site.id, area: area.id, line: lineCfg.id },
          cycleTime: lineCfg.cycleTime,
          idealCycleTime: lineCfg.idealCycleTime,
          cells: [],
          bodyPrefix: `${site.code}${(digits || String(lines.length + 1)).padStart(2, "0").slice(-2)}`,
        };
        for (const [position, cellCfg] of lineCfg.cells.entries()) {
          const guns: GunModel[] = [];
          for (const robot of cellCfg.robots ?? []) {
            for (const gun of robot.guns) {
              guns.push({
                robot: robot.id,
                gun,
                controller: `${cellCfg.id}-${robot.id}-${gun}`,
                programs: robot.programs,
                position: guns.length,
              });
            }
          }
          const cell: CellModel = {
            kind: "cell",
            index: cells.length,
            position,
            line,
            id: cellCfg.id,
            path: { ...line.path, cell: cellCfg.id },
            role: guns.length > 0 ? "weld" : "inspection",
            guns,
            cameras: cellCfg.cameras ?? [],
          };
          line.cells.push(cell);
          cells.push(cell);
        }
        lines.push(line);
      }
    }
  }
  return {
    config: cfg,
    enterprise: cfg.enterprise,
    lines,
    cells,
    programs: new Map(cfg.programs.map((p) => [p.number, p])),
    topic: (at, channel, stray) => topicFor(at.path, channel, stray),
  };
}
