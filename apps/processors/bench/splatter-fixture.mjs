/**
 * Where a bench frame's panel ends (a script helper): replays the draws of the simulator's
 * lighting (`render.ts`, fork "light") up to the panel edge, and returns whether a point lies
 * beyond it, on the dark fixture (35 % of the light + 10), or null for a frame with no edge.
 * Breaks if the lighting's draws change (the golden frame test pins them).
 *
 *   node apps/processors/bench/splatter-fixture.mjs DUMP.jsonl   # beads on the fixture
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createRng } from "@uns/simulator";
export function fixtureOf(seed, w = 5472, h = 3648) {
  const rng = createRng(`frame:${seed}`).fork("light");
  for (let i = 0; i < 4; i++) rng.next();
  const n = rng.int(1, 3);
  for (let i = 0; i < n * 4; i++) rng.next();
  if (!rng.chance(0.7)) return null;
  const vertical = rng.chance(0.5);
  const at = rng.uniform(0.05, 0.2) * (vertical ? w : h);
  const far = rng.chance(0.5);
  return (x, y) => {
    const c = vertical ? x : y;
    return far ? c > (vertical ? w : h) - at : c < at;
  };
}
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  let on = 0,
    all = 0;
  for (const line of readFileSync(process.argv[2], "utf8").trim().split("\n")) {
    const r = JSON.parse(line);
    const f = fixtureOf(`bench/${r.i}`);
    for (const b of r.splatter) {
      all++;
      if (f?.(b.x + b.width / 2, b.y + b.height / 2)) on++;
    }
  }
  console.log(`beads ${all}, on fixture ${on}`);
}
