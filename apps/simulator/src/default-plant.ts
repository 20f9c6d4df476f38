import { type PlantConfig, parsePlantConfig } from "./plant-config.js";

/**
 * The demonstration plant: enterprise `acme`, two sites with a body shop each. Neckarsulm has two
 * lines, Ingolstadt one; every line has weld cells (two robots, one gun each) and a weld splatter
 * inspection cell with two cameras. `apps/simulator/plant.example.yaml` is the same plant as a file
 * (a test keeps them equal) to copy and edit.
 */
export const DEFAULT_PLANT_INPUT = {
  enterprise: "acme",
  sites: [
    {
      id: "neckarsulm",
      code: "NSU",
      areas: [
        {
          id: "body-shop",
          lines: [
            {
              id: "line-01",
              cycleTime: 60,
              idealCycleTime: 54,
              cells: [
                {
                  id: "cell-010",
                  robots: [
                    { id: "r01", programs: [12, 17] },
                    { id: "r02", programs: [12, 23] },
                  ],
                },
                {
                  id: "cell-020",
                  robots: [
                    { id: "r01", programs: [17] },
                    { id: "r02", programs: [12] },
                  ],
                },
                {
                  id: "cell-030",
                  robots: [
                    { id: "r01", programs: [23, 12] },
                    { id: "r02", programs: [17, 12] },
                  ],
                },
                { id: "cell-090", cameras: [{ id: "cam-01" }, { id: "cam-02" }] },
              ],
            },
            {
              id: "line-02",
              cycleTime: 60,
              idealCycleTime: 54,
              cells: [
                {
                  id: "cell-010",
                  robots: [
                    { id: "r01", programs: [12] },
                    { id: "r02", programs: [23] },
                  ],
                },
                {
                  id: "cell-020",
                  robots: [
                    { id: "r01", programs: [17, 12] },
                    { id: "r02", programs: [12] },
                  ],
                },
                { id: "cell-090", cameras: [{ id: "cam-01" }, { id: "cam-02" }] },
              ],
            },
          ],
        },
      ],
    },
    {
      id: "ingolstadt",
      code: "ING",
      areas: [
        {
          id: "body-shop",
          lines: [
            {
              id: "line-01",
              cycleTime: 72,
              idealCycleTime: 64,
              cells: [
                {
                  id: "cell-010",
                  robots: [
                    { id: "r01", programs: [12, 23] },
                    { id: "r02", programs: [17] },
                  ],
                },
                {
                  id: "cell-020",
                  robots: [
                    { id: "r01", programs: [12] },
                    { id: "r02", programs: [23, 17] },
                  ],
                },
                { id: "cell-090", cameras: [{ id: "cam-01" }, { id: "cam-02" }] },
              ],
            },
          ],
        },
      ],
    },
  ],
};

export function defaultPlantConfig(): PlantConfig {
  return parsePlantConfig(DEFAULT_PLANT_INPUT, "built-in plant");
}
