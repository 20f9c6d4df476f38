/**
 * Where a plant message comes from, read off its topic: the line path is the first four levels
 * (enterprise/site/area/line), the cell the fifth (see topics/tree.yaml).
 */
export interface Place {
  line: string;
  cell: string;
}

export function placeOf(topic: string): Place | null {
  const parts = topic.split("/");
  if (parts.length < 5 || parts.some((p) => p === "")) return null;
  return { line: parts.slice(0, 4).join("/"), cell: parts.length >= 6 ? parts[4]! : "" };
}

/** The levels of a path: `acme/neckarsulm` -> 2. */
export function depthOf(path: string): number {
  return path === "" ? 0 : path.split("/").length;
}
