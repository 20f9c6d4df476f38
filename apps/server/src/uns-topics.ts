/**
 * Every topic of the broker's own `$uns/...` namespace, built here and nowhere else. Only
 * admins (and roles given `$uns/violations/#`) may read them; no client may publish there.
 */

export const QUARANTINE_PREFIX = "$uns/quarantine/";
export const REFUSED_PREFIX = "$uns/refused/";
export const VIOLATIONS_PREFIX = "$uns/violations/";

/** `$uns/quarantine/<original topic>`: where enforce mode sends what it refuses to deliver. */
export function quarantineTopic(topic: string): string {
  return QUARANTINE_PREFIX + topic;
}

/** `$uns/refused/<original topic>`: where ACL and topic-rule refusals go (admins only). */
export function refusedTopic(topic: string): string {
  return REFUSED_PREFIX + topic;
}

/** `$uns/violations/<original topic>`: live violations as JSON, for roles allowed to read them. */
export function violationsTopic(topic: string): string {
  return VIOLATIONS_PREFIX + topic;
}

/** The client id under which the Sparkplug mirror's messages pass the dispatcher. */
export const SPARKPLUG_MIRROR_CLIENT_ID = "$uns/sparkplug-mirror";
