import { useQuery } from "@tanstack/react-query";
import type { ChannelSpec, ContractsResponse, Diagnostic, MessageSpec } from "@uns/api-contract";
import { useEffect, useId, useState } from "react";
import { Link } from "wouter";
import { getJson } from "../../lib/api";
import { FilterBar } from "../../lib/filter-bar";
import { apiQuery } from "../../lib/filters";
import { formatCount } from "../../lib/format";
import { JsonView } from "../../lib/json-view";
import { paths } from "../../lib/links";
import { Empty, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { schemaOutline } from "./schema-outline";

function where(d: Diagnostic): string {
  return `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""}`;
}

function Diagnostics({ diagnostics }: { diagnostics: Diagnostic[] }) {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const summary =
    errors === 0 ? (
      <p className="ok">
        Every document loaded without errors
        {diagnostics.length ? `; ${diagnostics.length} warning${diagnostics.length === 1 ? "" : "s"}:` : "."}
      </p>
    ) : (
      <p className="bad">
        {errors} error{errors === 1 ? "" : "s"}: the documents at fault give no channels (or the last good
        version stays).
      </p>
    );
  if (diagnostics.length === 0) return summary;
  return (
    <div className="table-wrap">
      {summary}
      <table data-testid="diagnostics">
        <caption className="sr-only">Problems found while loading the contracts</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Where</th>
            <th scope="col">Message</th>
            <th scope="col">Code</th>
          </tr>
        </thead>
        <tbody>
          {diagnostics.map((d, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the loader's list, in its order
            <tr key={i} className={d.severity === "error" ? "row-bad" : undefined}>
              <td>
                <span className={`sev sev-${d.severity}`}>{d.severity}</span>
              </td>
              <td className="mono">
                {where(d)}
                {d.path ? <div className="muted small">{d.path}</div> : null}
              </td>
              <td>{d.message}</td>
              <td className="mono muted">{d.code}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Message({ m, channelId }: { m: MessageSpec; channelId: string }) {
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

function Channel({ c }: { c: ChannelSpec }) {
  const params = Object.entries(c.parameters);
  return (
    <article className="channel card" id={`channel-${c.id}`} aria-labelledby={`channel-${c.id}-h`}>
      <h3 id={`channel-${c.id}-h`}>
        <span className="mono">{c.id}</span>
        <span className="muted small">
          {" "}
          {c.file} · {c.title} {c.version}
        </span>
      </h3>
      {c.description ? <p>{c.description}</p> : null}
      <dl className="facts">
        <dt>Address</dt>
        <dd className="mono">{c.address ?? "—"}</dd>
        <dt>MQTT filter</dt>
        <dd className="mono">{c.filter ?? "—"}</dd>
        {params.length ? (
          <>
            <dt>Parameters</dt>
            <dd>
              <ul className="params">
                {params.map(([name, s]) => (
                  <li key={name}>
                    <span className="mono">{`{${name}}`}</span>{" "}
                    <span className="muted small">
                      {s && typeof s === "object" && Object.keys(s).length ? JSON.stringify(s) : "any value"}
                    </span>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
      <p>
        <Link href={paths.violations({ range: "24h", channel: c.id })}>Violations of {c.id} →</Link>
      </p>
      {c.messages.length === 0 ? (
        <p className="muted">No messages declared.</p>
      ) : (
        c.messages.map((m) => <Message key={m.name} m={m} channelId={c.id} />)
      )}
    </article>
  );
}

function Channels({ channels }: { channels: ChannelSpec[] }) {
  const [q, setQ] = useState("");
  const id = useId();
  // A link to /contracts#channel-x: scroll to it once the list is there.
  useEffect(() => {
    if (window.location.hash)
      document.getElementById(decodeURIComponent(window.location.hash.slice(1)))?.scrollIntoView();
  }, []);
  const needle = q.trim().toLowerCase();
  const shown = needle
    ? channels.filter((c) =>
        [c.id, c.address ?? "", c.file, c.title, ...c.messages.map((m) => m.name)].some((s) =>
          s.toLowerCase().includes(needle),
        ),
      )
    : channels;
  return (
    <>
      <div className="field inline">
        <label htmlFor={`${id}-q`}>Find a channel</label>
        <input
          id={`${id}-q`}
          type="search"
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder="id, address, message"
        />
        <span className="muted small">
          {shown.length} of {channels.length}
        </span>
      </div>
      {shown.length === 0 ? (
        <Empty title="No channel matches" />
      ) : (
        shown.map((c) => <Channel key={c.id} c={c} />)
      )}
    </>
  );
}

export function ContractsPage() {
  const { filters } = useUrlState();
  const q = useQuery({
    queryKey: ["contracts", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) => getJson<ContractsResponse>(`/contracts?${apiQuery(filters, [])}`, signal),
  });
  return (
    <div className="page page-contracts">
      <PageHeader title="Contracts">
        {q.data ? (
          <span className="muted">
            contract set <span className="mono">{q.data.version.slice(0, 12)}</span>, loaded{" "}
            <Time value={q.data.loadedAt} />
          </span>
        ) : null}
      </PageHeader>
      <QueryView query={q} loadingLabel="Loading contracts">
        {(d) => (
          <>
            <div className="grid grid-2">
              <Section title={`Documents (${d.documents.length})`} id="documents">
                {d.documents.length === 0 ? (
                  <Empty title="No AsyncAPI documents loaded">
                    Put documents in the server's asyncapi/ folder; they load without a restart.
                  </Empty>
                ) : (
                  <div className="table-wrap">
                    <table>
                      <caption className="sr-only">AsyncAPI documents</caption>
                      <thead>
                        <tr>
                          <th scope="col">File</th>
                          <th scope="col">Title</th>
                          <th scope="col">Version</th>
                          <th scope="col">AsyncAPI</th>
                          <th scope="col" className="num">
                            Channels
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.documents.map((doc) => (
                          <tr key={doc.file}>
                            <td className="mono">{doc.file}</td>
                            <td>{doc.title}</td>
                            <td>{doc.version}</td>
                            <td>{doc.asyncapiVersion}</td>
                            <td className="num">{d.channels.filter((c) => c.file === doc.file).length}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </Section>
              <Section title="Load problems" id="diagnostics">
                {d.status?.held.length ? (
                  <div className="bad" data-testid="held-channels">
                    <strong>
                      Held at their last good version (the files lost them; enforcement goes on with these):
                    </strong>
                    <ul>
                      {d.status.held.map((h) => (
                        <li key={h.channel}>
                          <span className="mono">{h.channel}</span>: {h.reason}
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                <Diagnostics diagnostics={d.diagnostics} />
                {d.reloads.length ? (
                  <>
                    <h3>Recent reloads</h3>
                    <ul className="reloads">
                      {[...d.reloads].reverse().map((r, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: the server's list, newest shown first
                        <li key={i} className={r.ok ? "ok" : "bad"}>
                          <Time value={r.at} /> {r.part}:{" "}
                          {r.ok ? (
                            "reloaded"
                          ) : (
                            <strong>not fully applied, the last good version stays</strong>
                          )}
                          {!r.ok ? <pre className="raw small">{r.message}</pre> : null}
                        </li>
                      ))}
                    </ul>
                  </>
                ) : null}
              </Section>
            </div>
            <Section title="Coverage: topics no contract governs" id="coverage">
              <FilterBar fields={[]} resetKeys={[]} />
              {d.coverage.ungovernedTopics.length === 0 ? (
                <p className="ok">Every topic seen in this window is governed by a contract.</p>
              ) : (
                <div className="table-wrap">
                  <table data-testid="ungoverned">
                    <caption className="sr-only">Ungoverned topics</caption>
                    <thead>
                      <tr>
                        <th scope="col">Topic</th>
                        <th scope="col" className="num">
                          Messages
                        </th>
                        <th scope="col">Last seen</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.coverage.ungovernedTopics.map((t) => (
                        <tr key={t.topic}>
                          <td className="mono">
                            <Link href={paths.topics(filters, { node: t.topic })}>{t.topic}</Link>
                          </td>
                          <td className="num">{formatCount(t.messages)}</td>
                          <td>
                            <Time value={t.lastSeen} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Section>
            <Section title={`Channels (${d.channels.length})`} id="channels">
              {d.channels.length === 0 ? <Empty title="No channels" /> : <Channels channels={d.channels} />}
            </Section>
          </>
        )}
      </QueryView>
    </div>
  );
}
