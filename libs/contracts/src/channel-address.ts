import type { ChannelSpec, ChannelSummary, ContractSet } from "./contract-set.js";
import { createLru } from "./lru.js";
import { isValidFilter } from "./mqtt-filter.js";

/**
 * AsyncAPI channel addresses as MQTT topics. An address such as
 * `acme/{site}/line-{line}/status` has one topic level per `/`; a level holding a `{param}`
 * expression (AsyncAPI 3.0.0 Channel Object `address`, 2.x channel name) becomes `+` in the
 * MQTT filter, and its parameter values are read back from a topic with a per-level pattern.
 */

export type AddressLevel =
  | { kind: "literal"; value: string }
  /** `+` or `#` written into the address itself (seen in the wild, e.g. `devices/+/data`). */
  | { kind: "wildcard"; value: "+" | "#" }
  /** A whole level that is one parameter: `{line}`. */
  | { kind: "param"; name: string }
  /** A level mixing text and parameters: `line-{line}`. */
  | { kind: "template"; regex: RegExp; names: string[] };

export interface ParsedAddress {
  levels: AddressLevel[];
  /** The MQTT filter, or null when the address cannot be one (e.g. `#` not in the last level). */
  filter: string | null;
  parameters: string[];
}

const PARAM = /\{([^{}]+)\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function parseAddress(address: string): ParsedAddress {
  const parameters: string[] = [];
  const levels: AddressLevel[] = address.split("/").map((level): AddressLevel => {
    if (level === "+" || level === "#") return { kind: "wildcard", value: level };
    const whole = /^\{([^{}]+)\}$/.exec(level);
    if (whole) {
      parameters.push(whole[1]!);
      return { kind: "param", name: whole[1]! };
    }
    if (!level.includes("{")) return { kind: "literal", value: level };
    const names: string[] = [];
    let source = "^";
    let last = 0;
    for (const m of level.matchAll(PARAM)) {
      source += `${escapeRegex(level.slice(last, m.index))}([^/]*)`;
      names.push(m[1]!);
      last = m.index! + m[0].length;
    }
    source += `${escapeRegex(level.slice(last))}$`;
    parameters.push(...names);
    return { kind: "template", regex: new RegExp(source, "u"), names };
  });
  const filter = levels
    .map((l) => (l.kind === "literal" ? l.value : l.kind === "wildcard" ? l.value : "+"))
    .join("/");
  return { levels, filter: isValidFilter(filter) ? filter : null, parameters };
}

/** `a/{b}/c` -> `a/+/c`; null when the address cannot be an MQTT filter. */
export function addressToFilter(address: string): string | null {
  return parseAddress(address).filter;
}

/**
 * Read the parameter values of a topic. Returns null when the topic does not have the address's
 * shape (different literal levels, a template's fixed text missing, a different depth).
 */
export function extractParameters(
  address: ParsedAddress,
  topicLevels: readonly string[],
): Record<string, string> | null {
  const values: Record<string, string> = {};
  const { levels } = address;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.kind === "wildcard" && level.value === "#") return values;
    const value = topicLevels[i];
    if (value === undefined) return null;
    switch (level.kind) {
      case "literal":
        if (value !== level.value) return null;
        break;
      case "wildcard":
        break;
      case "param":
        values[level.name] = value;
        break;
      case "template": {
        const m = level.regex.exec(value);
        if (!m) return null;
        level.names.forEach((name, j) => {
          values[name] = m[j + 1]!;
        });
        break;
      }
    }
  }
  return levels.length === topicLevels.length ? values : null;
}

export interface ChannelMatcher<C = ChannelSpec> {
  /** The most specific channel whose address matches the topic (literal beats `+` beats `#`), or null. */
  match(topic: string): C | null;
}

/** What the matcher needs of a channel: full specs and summaries both qualify. */
type Addressed = ChannelSpec | ChannelSummary;

interface TrieNode<C> {
  literal: Map<string, TrieNode<C>>;
  plus?: TrieNode<C>;
  /** Channels whose filter ends with `#` here. */
  hash: Entry<C>[];
  /** Channels whose filter ends exactly here. */
  end: Entry<C>[];
}

interface Entry<C> {
  channel: C;
  address: ParsedAddress;
}

function newNode<C>(): TrieNode<C> {
  return { literal: new Map(), hash: [], end: [] };
}

/** Build a topic -> channel matcher for a contract set; build once per set, it caches per topic. */
export function createChannelMatcher<C extends Addressed = ChannelSpec>(
  set: { channels: readonly C[] },
  options: { cacheEntries?: number } = {},
): ChannelMatcher<C> {
  const root = newNode<C>();
  for (const channel of set.channels) {
    if (channel.address === null) continue;
    const address = parseAddress(channel.address);
    if (address.filter === null) continue;
    let node = root;
    const levels = address.filter.split("/");
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      if (level === "#") {
        node.hash.push({ channel, address }); // '#' is always the last level
        break;
      }
      if (level === "+") node = node.plus ??= newNode<C>();
      else {
        let next = node.literal.get(level);
        if (!next) {
          next = newNode<C>();
          node.literal.set(level, next);
        }
        node = next;
      }
      if (i === levels.length - 1) node.end.push({ channel, address });
    }
  }

  // Hot path: read with peek (no reordering on a hit), so the cap evicts the oldest entry;

  // the working set of a plant is far below it, and a miss only costs a recomputation.

  const cache = createLru<string, C | null>(options.cacheEntries ?? 50_000);

  function fits(entry: Entry<C>, levels: string[]): boolean {
    return extractParameters(entry.address, levels) !== null;
  }

  function search(node: TrieNode<C>, levels: string[], i: number): C | null {
    if (i === levels.length) {
      for (const e of node.end) if (fits(e, levels)) return e.channel;
    } else {
      const level = levels[i]!;
      const lit = node.literal.get(level);
      if (lit) {
        const found = search(lit, levels, i + 1);
        if (found) return found;
      }
      // [MQTT-4.7.2-1] a wildcard in the first level does not match topics starting with '$'.
      if (node.plus && !(i === 0 && level.startsWith("$"))) {
        const found = search(node.plus, levels, i + 1);
        if (found) return found;
      }
    }
    // '#' also matches the parent level [MQTT-4.7.1-2].
    if (!(i === 0 && levels[0]?.startsWith("$"))) {
      for (const e of node.hash) if (fits(e, levels)) return e.channel;
    }
    return null;
  }

  return {
    match(topic) {
      const hit = cache.peek(topic);
      if (hit !== undefined) return hit;
      const found = search(root, topic.split("/"), 0);
      cache.set(topic, found);
      return found;
    },
  };
}

const matchers = new WeakMap<ContractSet, ChannelMatcher>();

function matcherFor(set: ContractSet): ChannelMatcher {
  let matcher = matchers.get(set);
  if (!matcher) {
    matcher = createChannelMatcher(set);
    matchers.set(set, matcher);
  }
  return matcher;
}

/**
 * The channel whose address matches a topic, for leaves that name no channel. The matcher is
 * built on first use per set object and kept as long as the set is.
 *
 * With a topic, returns the channel (or null). Without one, returns a lookup function for that
 * set, which is the form to keep when the same set serves many topics.
 *
 * @example
 * matchChannel(set, "smartylighting/streetlights/1/0/event/42/lighting/measured")?.id // "lightingMeasured"
 * const lookup = matchChannel(set);
 * lookup("smartylighting/streetlights/1/0/event/42/lighting/measured")?.channel.id // "lightingMeasured"
 */
export function matchChannel(set: ContractSet): (topic: string) => { channel: ChannelSpec } | null;
export function matchChannel(set: ContractSet, topic: string): ChannelSpec | null;
export function matchChannel(
  set: ContractSet,
  topic?: string,
): ChannelSpec | null | ((topic: string) => { channel: ChannelSpec } | null) {
  const matcher = matcherFor(set);
  if (topic !== undefined) return matcher.match(topic);
  return (t: string) => {
    const channel = matcher.match(t);
    return channel ? { channel } : null;
  };
}
