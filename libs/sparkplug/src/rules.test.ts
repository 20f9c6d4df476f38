import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SPARKPLUG_RULES, type SparkplugRuleInfo } from "./rules.js";

const README = new URL("../README.md", import.meta.url);
const START =
  "<!-- rules:start (generated from src/rules.ts by src/rules.test.ts; UNS_UPDATE_DOCS=1 rewrites it) -->";
const END = "<!-- rules:end -->";

function renderRulesTable(): string {
  const rows = Object.entries(SPARKPLUG_RULES as Record<string, SparkplugRuleInfo>).map(([rule, info]) => {
    const ids = Object.entries(info.ids)
      .map(([type, id]) => (type === "*" ? `\`${id}\`` : `${type}: \`${id}\``))
      .join("<br>");
    const related = (info.related ?? []).map((id) => `\`${id}\``).join("<br>");
    const flags = [info.severity, info.rebirth ? "rebirth" : "", info.uncertain ? "id uncertain" : ""]
      .filter(Boolean)
      .join(", ");
    return `| \`${rule}\` | ${info.summary} | ${ids} | ${related} | ${flags} |`;
  });
  return [
    START,
    "| rule | what is checked | conformance id | related ids | notes |",
    "|---|---|---|---|---|",
    ...rows,
    END,
  ].join("\n");
}

function cells(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

describe("SPARKPLUG_RULES", () => {
  it("cites Sparkplug 3.0 conformance ids", () => {
    for (const [rule, info] of Object.entries(SPARKPLUG_RULES as Record<string, SparkplugRuleInfo>)) {
      expect(Object.keys(info.ids).length, rule).toBeGreaterThan(0);
      for (const id of [...Object.values(info.ids), ...(info.related ?? [])])
        expect(id, rule).toMatch(/^tck-id-[a-z0-9-]+$/);
    }
  });

  it("is listed in the README, row for row", () => {
    const text = readFileSync(README, "utf8");
    const table = renderRulesTable();
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    if (process.env.UNS_UPDATE_DOCS === "1" && start >= 0 && end > start) {
      writeFileSync(README, text.slice(0, start) + table + text.slice(end + END.length));
      return;
    }
    expect(start, "README has the rules table markers").toBeGreaterThanOrEqual(0);
    // Compare cell by cell: the formatter pads markdown tables.
    expect(cells(text.slice(start, end + END.length))).toEqual(cells(table));
  });
});
