import { describe, expect, it } from "vitest";
import {
  filterCovers,
  filterMatches,
  filtersIntersect,
  isValidFilter,
  isValidTopicName,
  unshareFilter,
} from "./mqtt-filter.js";

const s = (x: string) => x.split("/");
const matches = (f: string, t: string) => filterMatches(s(f), s(t));
const covers = (p: string, f: string) => filterCovers(s(p), s(f));
const meets = (a: string, b: string) => filtersIntersect(s(a), s(b));

describe("topic names and filters", () => {
  it("validates topic names [MQTT-4.7.3-1] [MQTT-3.3.2-2]", () => {
    expect(isValidTopicName("a/b")).toBe(true);
    expect(isValidTopicName("/a//b/")).toBe(true);
    expect(isValidTopicName("")).toBe(false);
    expect(isValidTopicName("a/+")).toBe(false);
    expect(isValidTopicName("a/#")).toBe(false);
    expect(isValidTopicName("a\u0000b")).toBe(false);
  });

  it("validates filters [MQTT-4.7.1-2] [MQTT-4.7.1-3]", () => {
    for (const ok of ["#", "+", "a/+/b", "a/#", "+/+", "$SYS/#", "/"])
      expect(isValidFilter(ok), ok).toBe(true);
    for (const bad of ["", "a/#/b", "a#", "a/b+", "+a/b", "##"]) expect(isValidFilter(bad), bad).toBe(false);
  });

  it("strips $share/<group>/ and refuses malformed shared subscriptions", () => {
    expect(unshareFilter("$share/g1/acme/#")).toBe("acme/#");
    expect(unshareFilter("acme/#")).toBe("acme/#");
    expect(unshareFilter("$share/g1")).toBeNull();
    expect(unshareFilter("$share//a")).toBeNull();
    expect(unshareFilter("$share/g+/a")).toBeNull();
  });
});

describe("filterMatches", () => {
  it("matches literals, + and #", () => {
    expect(matches("a/+/c", "a/b/c")).toBe(true);
    expect(matches("a/+/c", "a/b/d")).toBe(false);
    expect(matches("a/+", "a/b/c")).toBe(false);
    expect(matches("a/#", "a/b/c")).toBe(true);
    expect(matches("a/b", "a/b")).toBe(true);
    expect(matches("a/b", "a")).toBe(false);
  });

  it("lets 'sport/#' match 'sport' [MQTT-4.7.1-2]", () => {
    expect(matches("sport/#", "sport")).toBe(true);
  });

  it("never matches $ topics with a wildcard in the first level [MQTT-4.7.2-1]", () => {
    expect(matches("#", "$SYS/broker")).toBe(false);
    expect(matches("+/broker", "$SYS/broker")).toBe(false);
    expect(matches("$SYS/#", "$SYS/broker")).toBe(true);
    expect(matches("#", "a/$b")).toBe(true);
  });
});

describe("filterCovers", () => {
  it("covers narrower filters only", () => {
    expect(covers("acme/#", "acme/+/x")).toBe(true);
    expect(covers("acme/#", "acme")).toBe(true);
    expect(covers("acme/#", "acme/#")).toBe(true);
    expect(covers("acme/+/x", "acme/site/x")).toBe(true);
    expect(covers("acme/+/x", "acme/+/x")).toBe(true);
    expect(covers("acme/#", "#")).toBe(false);
    expect(covers("acme/+/x", "acme/#")).toBe(false);
    expect(covers("acme/site/x", "acme/+/x")).toBe(false);
    expect(covers("acme/+", "acme/a/b")).toBe(false);
    expect(covers("acme/+/+", "acme/a")).toBe(false);
  });

  it("does not let # or + cover $ filters [MQTT-4.7.2-1]", () => {
    expect(covers("#", "$SYS/#")).toBe(false);
    expect(covers("+/#", "$uns/violations/#")).toBe(false);
    expect(covers("#", "+/x")).toBe(true);
    expect(covers("$uns/#", "$uns/violations/#")).toBe(true);
  });
});

describe("filtersIntersect", () => {
  it("finds a common topic", () => {
    expect(meets("a/+/c", "a/b/+")).toBe(true);
    expect(meets("a/#", "a")).toBe(true);
    expect(meets("a/b", "a/c")).toBe(false);
    expect(meets("a/+", "a/b/c")).toBe(false);
    expect(meets("#", "$SYS/x")).toBe(false);
    expect(meets("+/x", "$SYS/x")).toBe(false);
    expect(meets("#", "anything/at/all")).toBe(true);
  });
});
