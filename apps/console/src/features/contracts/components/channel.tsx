import type { ChannelSpec } from "@uns/api-contract";
import { useEffect, useId, useState } from "react";
import { Link } from "wouter";
import { paths } from "../../../lib/links";
import { Empty } from "../../../lib/ui";
import { Message } from "./message";
import { PublishForm } from "./publish-form";

/** A channel: address, parameters, its messages, and the validate / publish form. */
export function Channel({ c }: { c: ChannelSpec }) {
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
      {c.messages.length > 0 ? <PublishForm channel={c} /> : null}
      {c.messages.length === 0 ? (
        <p className="muted">No messages declared.</p>
      ) : (
        c.messages.map((m) => <Message key={m.name} m={m} channelId={c.id} />)
      )}
    </article>
  );
}

/** The channels, searchable by id, address, file and message. */
export function Channels({ channels }: { channels: ChannelSpec[] }) {
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
