import { describe, expect, it } from "vitest";
import { apiQuery, parseFilters, patchSearch, serializeFilters, windowOf } from "./filters";

describe("filters <-> URL", () => {
  it("reads every filter from the query string", () => {
    expect(parseFilters("?range=1h&topic=acme/plant-a/&channel=weldSpot&client=robot-7&kind=schema")).toEqual(
      {
        range: "1h",
        topic: "acme/plant-a/",
        channel: "weldSpot",
        client: "robot-7",
        kind: "schema",
      },
    );
  });

  it("defaults to the last 24 hours and ignores parameters that are not filters", () => {
    expect(parseFilters("")).toEqual({ range: "24h" });
    expect(parseFilters("sort=invalid&cursor=abc")).toEqual({ range: "24h" });
  });

  it("falls back per value on a hand-edited URL", () => {
    expect(parseFilters("range=2weeks&topic=%20%20&channel=weldSpot")).toEqual({
      range: "24h",
      channel: "weldSpot",
    });
    // A custom window without a readable start is no window.
    expect(parseFilters("range=custom&from=yesterday")).toEqual({ range: "24h" });
  });

  it("keeps a custom window as ISO instants", () => {
    const f = parseFilters("range=custom&from=2026-11-22T10:00:00Z&to=2026-11-22T12:00:00%2B01:00");
    expect(f).toEqual({ range: "custom", from: "2026-11-22T10:00:00.000Z", to: "2026-11-22T11:00:00.000Z" });
    expect(windowOf(f)).toEqual({
      from: new Date("2026-11-22T10:00:00Z"),
      to: new Date("2026-11-22T11:00:00Z"),
    });
  });

  it("drops from/to unless the window is custom", () => {
    expect(parseFilters("range=1h&from=2026-11-22T10:00:00Z")).toEqual({ range: "1h" });
  });

  it("writes a canonical, readable query string: fixed order, defaults left out, slashes kept", () => {
    expect(serializeFilters({ range: "24h" })).toBe("");
    expect(serializeFilters({ kind: "schema", topic: "acme/plant-a/", range: "1h", client: "a b" })).toBe(
      "range=1h&topic=acme/plant-a/&client=a+b&kind=schema",
    );
    expect(
      serializeFilters({ range: "7d", channel: "weldSpot" }, { sort: "invalidShare", cursor: undefined }),
    ).toBe("range=7d&channel=weldSpot&sort=invalidShare");
  });

  it("round-trips: parse(serialize(f)) = f", () => {
    const cases = [
      { range: "1h" as const },
      {
        range: "custom" as const,
        from: "2026-11-22T10:00:00.000Z",
        to: "2026-11-22T11:00:00.000Z",
        topic: "acme/x y/&z",
      },
      { range: "7d" as const, channel: "weld/spot", client: "c#1", kind: "not-json" },
    ];
    for (const f of cases) expect(parseFilters(serializeFilters(f))).toEqual(f);
  });

  it("patches a query string, keeping page parameters and re-validating filters", () => {
    expect(patchSearch("range=1h&sort=messages&cursor=c1", { topic: "acme/", cursor: undefined })).toBe(
      "range=1h&topic=acme/&sort=messages",
    );
    expect(patchSearch("range=1h&topic=acme/", { topic: "" })).toBe("range=1h");
    expect(patchSearch("range=custom&from=2026-11-22T10:00:00Z", { range: "7d" })).toBe("range=7d");
  });
});

describe("windows and API queries", () => {
  const now = new Date("2026-11-22T12:00:00Z");

  it("turns a relative window into from/to at the time of the call", () => {
    expect(windowOf({ range: "1h" }, now)).toEqual({ from: new Date("2026-11-22T11:00:00Z"), to: now });
    expect(windowOf({ range: "7d" }, now).from.toISOString()).toBe("2026-11-15T12:00:00.000Z");
  });

  it("orders a custom window that was given backwards", () => {
    const w = windowOf({ range: "custom", from: "2026-11-22T12:00:00Z", to: "2026-11-22T10:00:00Z" }, now);
    expect(w.from < w.to).toBe(true);
  });

  it("names filters as the API does and sends only those the endpoint accepts", () => {
    const f = { range: "1h" as const, topic: "acme/", channel: "weldSpot", client: "c1", kind: "schema" };
    const q = new URLSearchParams(apiQuery(f, ["topicPrefix", "channel"], { by: "level", depth: 2 }, now));
    expect(Object.fromEntries(q)).toEqual({
      from: "2026-11-22T11:00:00.000Z",
      to: "2026-11-22T12:00:00.000Z",
      topicPrefix: "acme/",
      channel: "weldSpot",
      by: "level",
      depth: "2",
    });
    expect(new URLSearchParams(apiQuery(f, ["clientId", "kind"], {}, now)).get("clientId")).toBe("c1");
  });
});
