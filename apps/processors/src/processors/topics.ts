import type { ChannelSpec } from "@uns/contracts";
import { processorError } from "../errors.js";

/**
 * Topic strings from channel addresses: a processor subscribes to its input channel's address as a
 * filter and publishes on the result channel's address filled with the same parameter values
 * (line, cell, ...), so results land beside the data they are about.
 */
export interface ChannelTopics {
  filter: string;
  /** The parameter values of a topic of this channel, or null when it does not fit. */
  parameters(topic: string): Record<string, string> | null;
  /** The topic for the given parameter values. */
  topic(parameters: Record<string, string>): string;
}

export function channelTopics(channel: ChannelSpec | undefined, id: string): ChannelTopics {
  if (!channel?.address || !channel.filter)
    throw processorError("UNS_ERR_PROC_CHANNEL", `channel "${id}" is not in the contracts or has no address`);
  const levels = channel.address.split("/").map((l) => {
    const m = /^\{([^}]+)\}$/.exec(l);
    return m ? { param: m[1]!, literal: undefined } : { param: undefined, literal: l };
  });
  // A parameter with one allowed value (enterprise: enum [acme]) is subscribed literally, so the
  // filter stays inside what the processor role may read.
  const filter = levels
    .map((l) => {
      if (l.param === undefined) return l.literal;
      const schema = channel.parameters[l.param] as { enum?: unknown[] } | null | undefined;
      return schema?.enum?.length === 1 && typeof schema.enum[0] === "string" ? schema.enum[0] : "+";
    })
    .join("/");
  return {
    filter,
    parameters(topic) {
      const parts = topic.split("/");
      if (parts.length !== levels.length) return null;
      const out: Record<string, string> = {};
      for (let i = 0; i < levels.length; i++) {
        const l = levels[i]!;
        if (l.param !== undefined) out[l.param] = parts[i]!;
        else if (l.literal !== parts[i]) return null;
      }
      return out;
    },
    topic(parameters) {
      return levels
        .map((l) => {
          if (l.param === undefined) return l.literal;
          const v = parameters[l.param];
          if (v === undefined) throw new Error(`no value for {${l.param}} of ${channel.address}`);
          return v;
        })
        .join("/");
    },
  };
}
