import type { PayloadView } from "@uns/api-contract";
import { decodeSparkplug, isSparkplugTopic } from "@uns/sparkplug";

const HEX_BYTES = 256;
const PREVIEW_CHARS = 120;
const utf8 = new TextDecoder("utf-8", { fatal: true });
// A payload cut at browser.payloadCapBytes may end inside a character: that is not binary.
const lenient = new TextDecoder("utf-8");

function decodeText(bytes: Uint8Array, truncated: boolean): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    if (!truncated) return null;
    const text = lenient.decode(bytes);
    // More than the one cut character replaced: binary after all.
    return text.indexOf("\uFFFD") < text.length - 2 && text.includes("\uFFFD") ? null : text;
  }
}

/** JSON.stringify replacer: Sparkplug Int64 values come back as bigint, which JSON cannot hold. */
const noBigint = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

function hexDump(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, HEX_BYTES))
    .toString("hex")
    .replace(/(..)(?!$)/g, "$1 ");
}

/**
 * How a payload reads in the console, decided per message (a topic may carry JSON one time and
 * garbage the next): Sparkplug B on `spBv1.0/` topics, JSON when it parses, UTF-8 text, else hex.
 * Done on read, never on the publish path.
 */
export function payloadView(topic: string, bytes: Uint8Array, size: number): PayloadView {
  const truncated = size > bytes.byteLength;
  if (size === 0) return { format: "empty", size, truncated };
  if (isSparkplugTopic(topic) && !topic.startsWith("spBv1.0/STATE/")) {
    const d = decodeSparkplug(bytes);
    if (d.ok)
      return {
        format: "sparkplug",
        value: JSON.parse(JSON.stringify(d.payload, noBigint)),
        hex: hexDump(bytes),
        size,
        truncated,
      };
  }
  const text = decodeText(bytes, truncated);
  if (text === null) return { format: "binary", hex: hexDump(bytes), size, truncated };
  if (!truncated) {
    try {
      return { format: "json", value: JSON.parse(text), text, size, truncated };
    } catch {
      // not JSON: shown as text
    }
  }
  return { format: "text", text, size, truncated };
}

/** One line of the last value for the tree (no decoding of Sparkplug: the detail does that). */
export function payloadPreview(topic: string, bytes: Uint8Array, size: number): string {
  if (size === 0) return "(empty)";
  if (isSparkplugTopic(topic) && !topic.startsWith("spBv1.0/STATE/")) {
    const v = payloadView(topic, bytes, size);
    if (v.format === "sparkplug") return oneLine(JSON.stringify(v.value));
  }
  const text = decodeText(bytes, size > bytes.byteLength);
  if (text === null) return `(binary, ${size} bytes) ${hexDump(bytes.subarray(0, 16))}`;
  return oneLine(text.slice(0, PREVIEW_CHARS * 2));
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}
