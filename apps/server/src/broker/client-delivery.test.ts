// The topic filter match used on every delivery, against the specification's rules written the
// plain way (split into levels) over every filter a set of levels can form.
import { describe, expect, it } from "vitest";
import { topicMatches } from "./client-delivery.js";

/** [MQTT-4.7] the reference: split into levels, `#` last, `+` one level, `$` not matched by a leading wildcard. */
function reference(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if ((f[0] === "#" || f[0] === "+") && topic.startsWith("$")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe("topicMatches", () => {
  it("agrees with the level-by-level rules on every combination of a few levels", () => {
    const topicLevels = ["a", "b", "", "ab", "$SYS"];
    const filterLevels = [...topicLevels, "+", "#"];
    const build = (levels: string[], n: number): string[] =>
      n === 0
        ? [""]
        : build(levels, n - 1).flatMap((p) => levels.map((l) => (p === "" && n === 1 ? l : `${p}/${l}`)));
    const topics = [1, 2, 3].flatMap((n) => build(topicLevels, n)).filter((x) => !x.includes("$SYS/$SYS"));
    const filters = [1, 2, 3].flatMap((n) => build(filterLevels, n));
    let cases = 0;
    for (const f of filters)
      for (const t of topics) {
        cases++;
        if (topicMatches(f, t) !== reference(f, t))
          expect(`${f} ~ ${t}: ${topicMatches(f, t)}`).toBe(`${f} ~ ${t}: ${reference(f, t)}`);
      }
    expect(cases).toBeGreaterThan(50_000);
  });

  it("matches the spec's examples [MQTT-4.7.1]", () => {
    expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1")).toBe(true);
    expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking/wimbledon")).toBe(true);
    expect(topicMatches("sport/#", "sport")).toBe(true);
    expect(topicMatches("sport/+", "sport")).toBe(false);
    expect(topicMatches("sport/+", "sport/")).toBe(true);
    expect(topicMatches("+/+", "/finance")).toBe(true);
    expect(topicMatches("/+", "/finance")).toBe(true);
    expect(topicMatches("+", "/finance")).toBe(false);
    expect(topicMatches("#", "$SYS/broker")).toBe(false);
    expect(topicMatches("+/monitor/Clients", "$SYS/monitor/Clients")).toBe(false);
    expect(topicMatches("$SYS/#", "$SYS/monitor/Clients")).toBe(true);
  });
});
