import { describe, expect, it } from "vitest";
import {
  addressToFilter,
  createChannelMatcher,
  extractParameters,
  matchChannel,
  parseAddress,
} from "./channel-address.js";
import type { ChannelSpec, ContractSet } from "./contract-set.js";

function channel(id: string, address: string | null): ChannelSpec {
  return {
    id,
    file: "t.yaml",
    title: "T",
    version: "1",
    address,
    filter: address === null ? null : addressToFilter(address),
    parameters: {},
    messages: [],
  };
}

describe("addresses", () => {
  it("turns {param} levels into +", () => {
    expect(addressToFilter("acme/{site}/line-{line}/status")).toBe("acme/+/+/status");
    expect(addressToFilter("devices/+/data")).toBe("devices/+/data");
    expect(addressToFilter("logs/#")).toBe("logs/#");
    expect(addressToFilter("a/#/b")).toBeNull();
  });

  it("reads parameter values back from a topic", () => {
    const a = parseAddress("acme/{site}/line-{line}.{sub}/status");
    expect(a.parameters).toEqual(["site", "line", "sub"]);
    expect(extractParameters(a, "acme/ns/line-04.b/status".split("/"))).toEqual({
      site: "ns",
      line: "04",
      sub: "b",
    });
    expect(extractParameters(a, "acme/ns/cell-04.b/status".split("/"))).toBeNull();
    expect(extractParameters(a, "acme/ns/line-04.b".split("/"))).toBeNull();
    expect(extractParameters(a, "other/ns/line-04.b/status".split("/"))).toBeNull();
    expect(extractParameters(parseAddress("a/(x)+/{p}"), "a/(x)+/v".split("/"))).toEqual({ p: "v" });
  });
});

describe("channel matcher", () => {
  const set: ContractSet = {
    version: "v",
    channels: [
      channel("any", "acme/#"),
      channel("status", "acme/{site}/status"),
      channel("nsStatus", "acme/neckarsulm/status"),
      channel("line", "acme/{site}/line-{n}"),
      channel("noAddress", null),
      channel("root", "#"),
    ],
  };

  it("picks the most specific channel: literal before + before #", () => {
    const m = createChannelMatcher(set);
    expect(m.match("acme/neckarsulm/status")?.id).toBe("nsStatus");
    expect(m.match("acme/heilbronn/status")?.id).toBe("status");
    expect(m.match("acme/heilbronn/line-3")?.id).toBe("line");
    expect(m.match("acme/heilbronn/cell-3")?.id).toBe("any"); // template text must match
    expect(m.match("acme")?.id).toBe("any"); // '#' matches the parent level
    expect(m.match("other/x")?.id).toBe("root");
  });

  it("does not match $ topics with first-level wildcards [MQTT-4.7.2-1]", () => {
    expect(createChannelMatcher(set).match("$SYS/x")).toBeNull();
  });

  it("matchChannel builds once per set", () => {
    expect(matchChannel(set, "acme/x/status")?.id).toBe("status");
    expect(matchChannel({ version: "w", channels: [] }, "acme/x/status")).toBeNull();
    const lookup = matchChannel(set);
    expect(lookup("acme/x/status")?.channel.id).toBe("status");
    expect(lookup("$SYS/x")).toBeNull();
  });
});
