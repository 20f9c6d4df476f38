import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { processorError } from "../errors.js";

/**
 * The zone map of the splatter station (`models/splatter-zones.yaml`): per camera its frame size,
 * mm per pixel and named rectangular zones in image coordinates, each either must-be-clean or
 * not. A detection belongs to the zone that holds its centre.
 */
export interface Zone {
  id: string;
  name: string;
  mustBeClean: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CameraZones {
  width: number;
  height: number;
  mmPerPixel: number;
  zones: Zone[];
}

export interface ZoneMap {
  name: string;
  version: string;
  gate: string;
  quietMs: number;
  cameras: Record<string, CameraZones>;
}

export interface ZoneSummary {
  id: string;
  name: string;
  mustBeClean: boolean;
  detections: number;
  /** Must be clean and has splatter: the station grinds it. */
  grind: boolean;
  /** Where the zone lies in the image (px). */
  box: { x: number; y: number; width: number; height: number };
}

const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function parseZoneMap(text: string, file: string): ZoneMap {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw processorError("UNS_ERR_ZONES_INVALID", `${file}: not YAML: ${(err as Error).message}`);
  }
  const r = (raw ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of ["name", "gate"])
    if (typeof r[k] !== "string" || !ID.test(r[k] as string))
      problems.push(`${k} must be a lowercase id, got ${JSON.stringify(r[k])}`);
  if (typeof r.version !== "string" || r.version === "") problems.push(`version must be a string like 1.0.0`);
  const quietMs = r.quietMs ?? 5000;
  if (!Number.isInteger(quietMs) || (quietMs as number) < 10)
    problems.push(`quietMs must be an integer >= 10`);
  const cameras = r.cameras as Record<string, Record<string, unknown>> | undefined;
  if (!cameras || typeof cameras !== "object" || Object.keys(cameras).length === 0)
    problems.push("cameras must map camera ids to their zones");
  for (const [cam, c] of Object.entries(cameras ?? {})) {
    const where = `cameras.${cam}`;
    if (!ID.test(cam)) problems.push(`${where}: camera id must be a lowercase id`);
    for (const k of ["width", "height"])
      if (!Number.isInteger(c?.[k]) || (c[k] as number) < 1)
        problems.push(`${where}.${k} must be a positive integer (px)`);
    if (typeof c?.mmPerPixel !== "number" || !(c.mmPerPixel > 0))
      problems.push(`${where}.mmPerPixel must be a number > 0`);
    if (!Array.isArray(c?.zones) || c.zones.length === 0) {
      problems.push(`${where}.zones must be a non-empty list`);
      continue;
    }
    (c.zones as Record<string, unknown>[]).forEach((z, i) => {
      const zw = `${where}.zones[${i}]`;
      if (typeof z?.id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(z.id))
        problems.push(`${zw}.id must be an id like z12`);
      if (typeof z?.name !== "string" || z.name === "") problems.push(`${zw}.name must be a name`);
      if (typeof z?.mustBeClean !== "boolean") problems.push(`${zw}.mustBeClean must be true or false`);
      for (const k of ["x", "y"])
        if (typeof z?.[k] !== "number" || (z[k] as number) < 0)
          problems.push(`${zw}.${k} must be a number >= 0 (px)`);
      for (const k of ["width", "height"])
        if (typeof z?.[k] !== "number" || !((z[k] as number) > 0))
          problems.push(`${zw}.${k} must be a number > 0 (px)`);
      if (
        typeof z?.x === "number" &&
        typeof z.width === "number" &&
        (z.x + z.width > (c.width as number) || (z.y as number) + (z.height as number) > (c.height as number))
      )
        problems.push(`${zw} reaches outside the ${c.width} x ${c.height} frame`);
    });
  }
  if (problems.length > 0)
    throw processorError("UNS_ERR_ZONES_INVALID", `${file}: ${problems.join("; ")}`, { details: problems });
  return {
    name: r.name as string,
    version: r.version as string,
    gate: r.gate as string,
    quietMs: quietMs as number,
    cameras: cameras as unknown as Record<string, CameraZones>,
  };
}

export function readZoneMap(file: string): ZoneMap {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw processorError(
      "UNS_ERR_ZONES_INVALID",
      `${file}: cannot read the zone map: ${(err as Error).message}`,
    );
  }
  return parseZoneMap(text, file);
}

/** The zone holding a box's centre, or null. */
export function zoneOf(
  camera: CameraZones,
  box: { x: number; y: number; width: number; height: number },
): Zone | null {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return (
    camera.zones.find((z) => cx >= z.x && cx < z.x + z.width && cy >= z.y && cy < z.y + z.height) ?? null
  );
}

/** Per zone of the camera: how many boxes fall in it, and whether it must be ground. */
export function summariseZones(
  camera: CameraZones,
  boxes: readonly { x: number; y: number; width: number; height: number }[],
): ZoneSummary[] {
  const counts = new Map<string, number>();
  for (const b of boxes) {
    const z = zoneOf(camera, b);
    if (z) counts.set(z.id, (counts.get(z.id) ?? 0) + 1);
  }
  return camera.zones.map((z) => {
    const n = counts.get(z.id) ?? 0;
    return {
      id: z.id,
      name: z.name,
      mustBeClean: z.mustBeClean,
      detections: n,
      grind: z.mustBeClean && n > 0,
      box: { x: z.x, y: z.y, width: z.width, height: z.height },
    };
  });
}
