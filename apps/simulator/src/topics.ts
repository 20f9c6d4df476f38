import { CHANNELS, type ChannelId } from "./channels.js";

/** A place in the plant hierarchy (ISA-95: enterprise / site / area / line / cell). */
export interface PlantPath {
  enterprise: string;
  site: string;
  area: string;
  line: string;
  /** Absent for line-level channels. */
  cell?: string;
}

/**
 * Ways a misconfigured device gets its topic wrong, all outside the governed tree: a typo in the
 * leaf, a level with capitals (breaks the naming rule), and an extra level below the leaf.
 */
export const STRAY_TOPIC_VARIANTS = ["leaf-typo", "uppercase", "extra-level"] as const;
export type StrayTopicVariant = (typeof STRAY_TOPIC_VARIANTS)[number];

/**
 * The one place where topic strings are made: the plant path's levels, then the channel's leaf.
 *
 * @example
 * topicFor({ enterprise: "acme", site: "neckarsulm", area: "body-shop", line: "line-01", cell: "cell-010" }, "weldSpot")
 * // "acme/neckarsulm/body-shop/line-01/cell-010/weld-spot"
 */
export function topicFor(path: PlantPath, channel: ChannelId, stray?: StrayTopicVariant): string {
  const { leaf, level } = CHANNELS[channel];
  const levels = [path.enterprise, path.site, path.area, path.line];
  if (level === "cell") {
    if (path.cell === undefined) throw new Error(`channel ${channel} needs a cell, got line ${path.line}`);
    levels.push(path.cell);
  }
  switch (stray) {
    case undefined:
      levels.push(leaf);
      break;
    case "leaf-typo":
      levels.push(leaf.replaceAll("-", ""));
      break;
    case "uppercase":
      levels.push(leaf.replace(/(^|-)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase()));
      break;
    case "extra-level":
      levels.push(leaf, "raw");
      break;
  }
  return levels.join("/");
}
