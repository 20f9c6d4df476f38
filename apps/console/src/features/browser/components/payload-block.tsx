import type { PayloadView } from "@uns/api-contract";
import { formatBytes } from "../../../lib/format";
import { JsonView } from "../../../lib/json-view";

/** A payload as it reads: JSON or decoded Sparkplug pretty-printed, text as is, binary as hex. */
export function PayloadBlock({ p, label, idPrefix }: { p: PayloadView; label: string; idPrefix: string }) {
  const note = `${p.format === "sparkplug" ? "Sparkplug B, decoded" : p.format}, ${formatBytes(p.size)}${p.truncated ? " (only the first bytes kept)" : ""}`;
  return (
    <figure className="payload" data-format={p.format}>
      <figcaption className="muted small">{note}</figcaption>
      {p.format === "json" || p.format === "sparkplug" ? (
        <JsonView value={p.value} label={label} idPrefix={idPrefix} />
      ) : p.format === "text" ? (
        <pre className="raw">{p.text}</pre>
      ) : p.format === "binary" ? (
        <pre className="raw mono" data-testid="hex">
          {p.hex}
        </pre>
      ) : (
        <p className="muted">(empty payload)</p>
      )}
    </figure>
  );
}
