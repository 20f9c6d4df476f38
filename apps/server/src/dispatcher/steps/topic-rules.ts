import type { TopicClass, ValidationError } from "@uns/contracts";

/**
 * Step 1, topic rules: what is wrong with the topic itself, whoever publishes it (naming rules,
 * the tree, the broker's own `$` namespace). Null when the topic may be published to.
 */
export function topicRuleError(place: TopicClass): ValidationError | null {
  if (place.kind === "refused") return { instancePath: "", keyword: place.code, message: place.reason };
  if (place.kind === "reserved" && place.namespace === "$")
    return {
      instancePath: "",
      keyword: "reserved",
      message:
        "topics starting with $ are reserved for the broker [MQTT-4.7.2-1]; publish under the plant tree instead",
    };
  return null;
}
