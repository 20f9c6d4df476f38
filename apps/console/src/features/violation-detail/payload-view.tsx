import type { ValidationError, ViolationDetail } from "@uns/api-contract";
import { useMemo } from "react";
import { formatBytes } from "../../lib/format";
import { parsePayload } from "../../lib/json-highlight";
import { JsonView } from "../../lib/json-view";

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hexDump(bytes: Uint8Array, max = 512): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.min(bytes.length, max); i += 16) {
    const row = [...bytes.slice(i, i + 16)];
    lines.push(
      `${i.toString(16).padStart(6, "0")}  ${row
        .map((b) => b.toString(16).padStart(2, "0"))
        .join(" ")
        .padEnd(48)}  ${row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("")}`,
    );
  }
  if (bytes.length > max) lines.push(`… ${bytes.length - max} more bytes`);
  return lines.join("\n");
}

/**
 * Where a not-JSON payload stops being JSON: the validator's `position` (JSON.parse's) when it
 * was recorded, else this browser's own JSON.parse (the same V8 wording) on the stored text.
 */
export function parseFailurePosition(errors: readonly ValidationError[], text: string): number | null {
  const recorded = errors.find((e) => e.keyword === "json")?.params as { position?: unknown } | undefined;
  if (typeof recorded?.position === "number") return recorded.position;
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    if (m) return Number(m[1]);
    // "Unexpected end of JSON input": it stopped at the end.
    return /end of JSON/.test((e as Error).message) ? text.length : null;
  }
}

/** The text as received, the character where parsing failed marked (id payload-err-1). */
function NotJson({ text, at }: { text: string; at: number | null }) {
  if (at === null || at > text.length) return <pre className="raw">{text}</pre>;
  const bad = text.slice(at, at + 1);
  return (
    <pre className="raw" data-testid="raw-payload">
      {text.slice(0, at)}
      <mark id="payload-err-1" tabIndex={-1} title={`JSON stops here (position ${at})`}>
        {bad === "" ? "␣" : bad}
      </mark>
      {text.slice(at + 1)}
    </pre>
  );
}

export function Payload({
  v,
  numberOf,
}: {
  v: ViolationDetail;
  /** Per error, the row number the error table shows it under (collapsed rows share one). */
  numberOf: readonly number[];
}) {
  const parsed = useMemo(() => parsePayload(v.payloadText), [v.payloadText]);
  const note = v.payloadTruncated ? (
    <p className="notice">
      Only the first {formatBytes(v.payloadText?.length ?? 0)} of {formatBytes(v.payloadSize)} were kept
      (store.payloadCapBytes).
    </p>
  ) : null;
  if (parsed.ok) {
    return (
      <>
        {note}
        <JsonView
          value={parsed.value}
          errors={v.errors}
          numberOf={numberOf}
          idPrefix="payload"
          label="Payload, failing places marked"
          className="payload"
        />
      </>
    );
  }
  if (v.payloadText !== undefined) {
    const at = v.payloadTruncated ? null : parseFailurePosition(v.errors, v.payloadText);
    return (
      <>
        {note}
        <p className="muted">
          Not JSON ({parsed.reason}){at !== null ? `; parsing stopped at position ${at}, marked` : ""}. The
          text as received:
        </p>
        <NotJson text={v.payloadText} at={at} />
      </>
    );
  }
  return (
    <>
      {note}
      <p className="muted">Binary payload (not UTF-8); the first bytes:</p>
      <pre className="raw">{hexDump(decodeBase64(v.payloadBase64))}</pre>
    </>
  );
}
