import type { Validator } from "@uns/contracts";

/**
 * An input message as its contract's value, or null when it is not JSON or its contract refuses
 * it: a processor decides only on messages the broker would call valid, and counts the others.
 */
export function readInput(validator: Validator, channel: string, payload: Buffer): unknown | null {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString("utf8"));
  } catch {
    return null;
  }
  return validator.validateValue(channel, value).outcome === "valid" ? value : null;
}
