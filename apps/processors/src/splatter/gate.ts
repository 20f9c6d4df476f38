import type { Validator } from "@uns/contracts";
import { readInput } from "../processors/read-input.js";
import type { Logger } from "../processors/weld-quality.js";
import { readZoneMap, type ZoneMap, type ZoneSummary } from "./zones.js";

/**
 * The splatter part of the check gate: collects the `splatterDetections` of a body at the
 * inspection cell (one per camera) and decides once every camera of the zone map has reported,
 * or after the zone map's `quietMs`:
 *
 * - splatter in a zone that must be clean -> `correct`, every such box cited as evidence with
 *   its zone, so the station grinds exactly there;
 * - an image that was not scored (failed or late) -> `correct` too: a zone nobody looked at is
 *   not known to be clean, so the body is inspected by hand rather than passed;
 * - otherwise `continue` (splatter outside the must-be-clean zones is reported in the reason).
 */
export interface SplatterResult {
  eventId: string;
  camera: string;
  bodyId: string;
  detections: { score: number; x: number; y: number; width: number; height: number }[];
  status?: "scored" | "late" | "failed";
  error?: { code: string; message: string };
  zones?: ZoneSummary[];
  model: { name: string; version: string };
}

export interface GateDecision {
  gate: string;
  bodyId: string;
  decision: "continue" | "correct" | "scrap";
  reason: string;
  evidence: {
    kind: "splatter-detection" | "image-event";
    ref: string;
    value?: number;
    description: string;
  }[];
  decidedBy: { name: string; version: string };
  time: string;
}

export function decideSplatter(
  map: ZoneMap,
  bodyId: string,
  results: readonly SplatterResult[],
  now: Date,
): GateDecision {
  const evidence: GateDecision["evidence"] = [];
  const grind = new Map<string, number>();
  const unscored: string[] = [];
  let elsewhere = 0;
  for (const r of results) {
    if (r.status === "failed" || r.status === "late") {
      unscored.push(`${r.camera} (${r.error?.code ?? r.status})`);
      evidence.push({
        kind: "image-event",
        ref: r.eventId,
        description: `${r.camera}: not scored: ${r.error?.code ?? r.status} ${r.error?.message ?? ""}`.slice(
          0,
          500,
        ),
      });
      continue;
    }
    const camera = map.cameras[r.camera];
    for (const d of r.detections) {
      const cx = d.x + d.width / 2;
      const cy = d.y + d.height / 2;
      const zone = camera?.zones.find(
        (z) => cx >= z.x && cx < z.x + z.width && cy >= z.y && cy < z.y + z.height,
      );
      if (!zone?.mustBeClean) {
        elsewhere++;
        continue;
      }
      const key = `${zone.id} (${zone.name}, ${r.camera})`;
      grind.set(key, (grind.get(key) ?? 0) + 1);
      evidence.push({
        kind: "splatter-detection",
        ref: r.eventId,
        value: d.score,
        description:
          `zone ${zone.id} (${zone.name}) on ${r.camera}: box at x=${d.x} y=${d.y} (${d.width} x ${d.height} px), score ${d.score} by ${r.model.name} ${r.model.version}`.slice(
            0,
            500,
          ),
      });
    }
  }
  let decision: GateDecision["decision"] = "continue";
  let reason: string;
  if (grind.size > 0) {
    decision = "correct";
    reason = `splatter in ${grind.size} zone(s) that must be clean: ${[...grind].map(([z, n]) => `${n} in ${z}`).join("; ")}`;
    if (unscored.length > 0) reason += `; not scored: ${unscored.join(", ")}`;
  } else if (unscored.length > 0) {
    decision = "correct";
    reason = `${unscored.length} of ${results.length} images not scored, inspect by hand: ${unscored.join(", ")}`;
  } else {
    reason = `no splatter in must-be-clean zones of ${results.length} images${elsewhere ? ` (${elsewhere} boxes in zones that may keep it)` : ""}`;
  }
  return {
    gate: map.gate,
    bodyId,
    decision,
    reason: reason.slice(0, 500),
    evidence: evidence.slice(0, 1000),
    decidedBy: { name: map.name, version: map.version },
    time: now.toISOString(),
  };
}

export interface SplatterGate {
  onResult(params: Record<string, string>, payload: Buffer): void;
  closeAll(): void;
  status(): Record<string, unknown>;
}

export function createSplatterGate(deps: {
  file: string;
  validator: () => Validator;
  logger: Logger;
  publish(params: Record<string, string>, decision: GateDecision): void;
}): SplatterGate {
  let map: ZoneMap | null = null;
  let mapError: string | null = null;
  try {
    map = readZoneMap(deps.file);
  } catch (err) {
    // Without a zone map the weld-quality gate still runs; splatter results are counted, not decided.
    mapError = (err as Error).message;
    deps.logger.error(`check-gate: UNS_ERR_ZONES_INVALID ${mapError}; splatter results will not be decided`);
  }
  const open = new Map<
    string,
    { params: Record<string, string>; bodyId: string; results: SplatterResult[]; timer: NodeJS.Timeout }
  >();
  const counts = { received: 0, invalid: 0, undecided: 0, decisions: 0 };

  function close(key: string): void {
    const o = open.get(key);
    if (!o || !map) return;
    open.delete(key);
    clearTimeout(o.timer);
    counts.decisions++;
    deps.publish(o.params, decideSplatter(map, o.bodyId, o.results, new Date()));
  }

  return {
    onResult(params, payload) {
      counts.received++;
      const value = readInput(deps.validator(), "splatterDetections", payload);
      if (value === null) {
        counts.invalid++;
        return;
      }
      if (!map) {
        counts.undecided++;
        return;
      }
      const r = value as SplatterResult;
      const cell = Object.values(params).join("/");
      for (const [k, o] of open) if (k.startsWith(`${cell}|`) && o.bodyId !== r.bodyId) close(k);
      const key = `${cell}|${r.bodyId}`;
      let o = open.get(key);
      if (!o) {
        o = { params, bodyId: r.bodyId, results: [], timer: setTimeout(() => close(key), map.quietMs) };
        open.set(key, o);
      }
      // A camera reporting twice (redelivery) replaces its first answer.
      o.results = o.results.filter((x) => x.camera !== r.camera).concat(r);
      o.timer.refresh();
      if (o.results.length >= Object.keys(map.cameras).length) close(key);
    },
    closeAll() {
      for (const key of [...open.keys()]) close(key);
    },
    status: () => ({
      ...counts,
      openBodies: open.size,
      zones: map ? `${map.name} ${map.version}` : null,
      mapError,
    }),
  };
}
