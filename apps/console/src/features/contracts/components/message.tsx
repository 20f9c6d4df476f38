import type { MessageSpec } from "@uns/api-contract";
import { JsonView } from "../../../lib/json-view";
import { schemaOutline } from "../schema-outline";

/** One message of a channel: its payload schema as a table of fields, and its examples. */
export function Message({ m, channelId }: { m: MessageSpec; channelId: string }) {
  const rows = schemaOutline(m.payload);
  return (
    <div className="message">
      <h4>
        Message <span className="mono">{m.name}</span>
        {m.title ? <span className="muted"> — {m.title}</span> : null}
      </h4>
      <p className="muted small">
        {m.contentType} · {m.schemaFormat}
        {m.supported ? "" : ` · not validated: ${m.unsupportedReason ?? "unsupported schema format"}`}
      </p>
      {m.payload === null ? (
        <p className="muted">No payload schema: any payload is accepted.</p>
      ) : rows.length === 0 ? (
        <JsonView
          value={m.payload}
          label={`Payload schema of ${m.name}`}
          idPrefix={`s-${channelId}-${m.name}`}
        />
      ) : (
        <>
          <div className="table-wrap">
            <table className="outline">
              <caption className="sr-only">Fields of message {m.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Type</th>
                  <th scope="col">Required</th>
                  <th scope="col">Limits</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.path}>
                    <th scope="row" className="mono" style={{ paddingLeft: `${0.5 + r.depth * 1.25}rem` }}>
                      {r.name}
                    </th>
                    <td className="mono">{r.type}</td>
                    <td>{r.required ? "yes" : <span className="muted">no</span>}</td>
                    <td className="small">{r.constraints.join(" · ")}</td>
                    <td className="small">{r.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <details>
            <summary>Schema as JSON</summary>
            <JsonView
              value={m.payload}
              label={`Payload schema of ${m.name}`}
              idPrefix={`s-${channelId}-${m.name}`}
            />
          </details>
        </>
      )}
      {m.examples.length > 0 ? (
        <details>
          <summary>
            {m.examples.length} example{m.examples.length === 1 ? "" : "s"}
          </summary>
          {m.examples
            .map((value, n) => ({ value, n }))
            .map((x) => (
              <JsonView
                key={x.n}
                value={x.value}
                label={`Example ${x.n + 1} of ${m.name}`}
                idPrefix={`x-${channelId}-${m.name}-${x.n}`}
              />
            ))}
        </details>
      ) : null}
    </div>
  );
}
