import type { ContractSet } from "./contract-set.js";
import { toJsonPath } from "./diagnostics.js";
import { filterCovers, filtersIntersect } from "./mqtt-filter.js";
import type { TopicTree } from "./topic-tree.js";
import { createValidator, type ValidationError } from "./validator.js";

export interface Finding {
  severity: "error" | "warning";
  code: string;
  message: string;
  /** File and location, e.g. `topics/tree.yaml leaf acme/+/weld-spot` or `asyncapi/weld.yaml $.channels.weldSpot`. */
  where: string;
}

/**
 * Cross-check the topic tree against the contracts:
 * - a leaf naming a channel no document defines (error),
 * - a leaf whose topics the named channel's address does not all match (error),
 * - a channel no leaf uses, by name or by address for leaves naming none (warning),
 * - a message example that does not validate against its own payload schema (error).
 */
export function checkConsistency(tree: TopicTree, set: ContractSet): Finding[] {
  const findings: Finding[] = [];
  const byId = new Map(set.channels.map((c) => [c.id, c]));
  const used = new Set<string>();
  const leaves = tree.leafPatterns();

  for (const leaf of leaves) {
    const where = `${tree.file} leaf ${leaf.filter}`;
    if (leaf.channel === null) continue;
    const channel = byId.get(leaf.channel);
    if (!channel) {
      findings.push({
        severity: "error",
        code: "UNS_ERR_CHECK_UNKNOWN_CHANNEL",
        message: `leaf "${leaf.leaf}" names channel "${leaf.channel}", which no loaded AsyncAPI document defines`,
        where,
      });
      continue;
    }
    used.add(channel.id);
    if (channel.address === null) continue; // no address: nothing to compare
    if (channel.filter === null) {
      findings.push({
        severity: "error",
        code: "UNS_ERR_CHECK_ADDRESS_MISMATCH",
        message: `channel "${channel.id}" address "${channel.address}" cannot be an MQTT topic filter`,
        where: `${channel.file} ${toJsonPath(["channels", channel.id, "address"])}`,
      });
      continue;
    }
    if (!filterCovers(channel.filter.split("/"), leaf.filter.split("/"))) {
      findings.push({
        severity: "error",
        code: "UNS_ERR_CHECK_ADDRESS_MISMATCH",
        message: `leaf "${leaf.leaf}" has topics ${leaf.filter}, but channel "${channel.id}" (${channel.file}) has address "${channel.address}" (filter ${channel.filter}), which does not match them all`,
        where,
      });
    }
  }

  const unnamed = leaves.filter((l) => l.channel === null).map((l) => l.filter.split("/"));
  for (const channel of set.channels) {
    if (used.has(channel.id)) continue;
    const byAddress =
      channel.filter !== null && unnamed.some((l) => filtersIntersect(l, channel.filter!.split("/")));
    if (byAddress) continue;
    findings.push({
      severity: "warning",
      code: "UNS_ERR_CHECK_UNUSED_CHANNEL",
      message: `channel "${channel.id}"${channel.address ? ` (address "${channel.address}")` : ""} is used by no leaf of the topic tree`,
      where: `${channel.file} ${toJsonPath(["channels", channel.id])}`,
    });
  }

  const validator = createValidator(set);
  for (const channel of set.channels) {
    for (const message of channel.messages) {
      if (!message.supported || message.payload === null) continue;
      message.examples.forEach((example, i) => {
        const result = validator.validateValue(channel.id, example, message.name);
        if (result.outcome === "valid" || result.kind !== "schema") return;
        findings.push({
          severity: "error",
          code: "UNS_ERR_CHECK_EXAMPLE_INVALID",
          message: `example ${i + 1} of message "${message.name}" in channel "${channel.id}" does not match its payload schema: ${summarize(result.errors)}`,
          where: `${channel.file} ${toJsonPath(["channels", channel.id, "messages", message.name, "examples", i])}`,
        });
      });
    }
  }
  return findings;
}

function summarize(errors: ValidationError[]): string {
  const shown = errors.slice(0, 3).map((e) => `${e.instancePath || "(root)"} ${e.message}`);
  return shown.join("; ") + (errors.length > 3 ? `; and ${errors.length - 3} more` : "");
}
