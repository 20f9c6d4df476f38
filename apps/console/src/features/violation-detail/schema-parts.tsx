import type { JSONSchema, ViolationDetailResponse } from "@uns/api-contract";
import { Link } from "wouter";
import { JsonView } from "../../lib/json-view";
import { resolveSchemaPath } from "../../lib/schema-path";
import { Empty } from "../../lib/ui";

/** The contract, channel and message that failed, and the schema parts each error points at. */
export function SchemaParts({ data }: { data: ViolationDetailResponse }) {
  const v = data.violation;
  const ch = data.channel;
  if (!ch)
    return (
      <Empty title="No contract governs this topic">Ungoverned or refused messages have no schema.</Empty>
    );
  const message = ch.messages.find((m) => m.name === v.messageName) ?? ch.messages[0];
  const schema: JSONSchema | null | undefined = message?.payload;
  const parts = v.errors
    .map((e, i) => ({
      i,
      e,
      part: schema && v.kind === "schema" ? resolveSchemaPath(schema, e.schemaPath) : null,
    }))
    .filter((x) => x.part !== null);
  const seen = new Set<string>();
  return (
    <>
      <p>
        Channel <Link href={`/contracts#channel-${encodeURIComponent(ch.id)}`}>{ch.id}</Link> in{" "}
        <span className="mono">{ch.file}</span> ({ch.title} {ch.version}), message{" "}
        <strong className="mono">{message?.name ?? "—"}</strong>
        {ch.address ? (
          <>
            , address <span className="mono">{ch.address}</span>
          </>
        ) : null}
        .
      </p>
      {v.kind === "topic-parameter" ? (
        <p className="muted">
          The topic's levels did not fit the channel's parameters; see the errors above.
        </p>
      ) : null}
      {parts.map(({ i, e, part }) => {
        if (!part) return null;
        const k = `${part.pointer}|${part.keyword}`;
        if (seen.has(k)) return null;
        seen.add(k);
        return (
          <div key={k} className="schema-part">
            <h3>
              <span className="err-no">{i + 1}</span> <span className="mono">#{part.pointer || "/"}</span> —
              keyword <span className="mono">{e.keyword}</span>
            </h3>
            <JsonView
              value={part.schema}
              errors={[
                {
                  instancePath: `/${part.keyword.replace(/~/g, "~0").replace(/\//g, "~1")}`,
                  keyword: "schema",
                },
              ]}
              idPrefix={`schema-${i}`}
              label={`Schema at #${part.pointer}, keyword ${part.keyword} marked`}
            />
          </div>
        );
      })}
      {schema ? (
        <details>
          <summary>The whole payload schema of message {message?.name}</summary>
          <JsonView value={schema} idPrefix="schema-full" label="Payload schema" />
        </details>
      ) : null}
    </>
  );
}
