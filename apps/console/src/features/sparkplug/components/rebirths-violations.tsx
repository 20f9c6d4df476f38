import { useQueryClient } from "@tanstack/react-query";
import type { SparkplugResponse, ViolationItem } from "@uns/api-contract";
import { useEffect, useRef } from "react";
import { Link } from "wouter";
import type { Filters } from "../../../lib/filters";
import { paths } from "../../../lib/links";
import { Empty, QueryView, Section, Time } from "../../../lib/ui";
import { SPARKPLUG_KIND, useSparkplugViolations } from "../api";
import { rebirthReasonText, ruleFinding } from "../sparkplug-format";
import { StatusBadge } from "./nodes";
/** Rebirths the server asked for, and the Sparkplug rule violations. */

export function Rebirths({ data }: { data: SparkplugResponse }) {
  return (
    <Section title="Rebirths asked for" id="sp-rebirths">
      {!data.hostId ? (
        <p className="muted">
          The server observes Sparkplug but is not a primary host, so it asks no edge node for a rebirth (set{" "}
          <code>sparkplug.hostId</code>).
        </p>
      ) : data.rebirths.length === 0 ? (
        <Empty title="No rebirth asked for">Every edge node's seq and metrics have matched its birth.</Empty>
      ) : (
        <ul className="history" data-testid="sparkplug-rebirths">
          {data.rebirths.slice(0, 20).map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed log, newest first
            <li key={i}>
              <Time value={r.time} omitTodayDate />{" "}
              <span className="mono">
                {r.group}/{r.edgeNode}
              </span>{" "}
              <span className="muted">— {rebirthReasonText(r.reason)}</span>
            </li>
          ))}
        </ul>
      )}
      {data.hosts.length > 0 ? (
        <>
          <h3>Host applications (STATE)</h3>
          <ul className="history">
            {data.hosts.map((h) => (
              <li key={h.hostId}>
                <span className="mono">{h.hostId}</span> <StatusBadge online={h.online} />
                {h.hostId === data.hostId ? <span className="muted"> (this server)</span> : null}{" "}
                <span className="muted">
                  since <Time value={new Date(h.timestamp)} omitTodayDate />
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

function ViolationRow({ v }: { v: ViolationItem }) {
  return (
    <tr>
      <td className="nowrap">
        <Link href={paths.violation(v.id)} aria-label={`Violation ${v.id} on ${v.topic}`}>
          <Time value={v.time} omitTodayDate />
        </Link>
      </td>
      <td className="mono topic-cell">{v.topic}</td>
      <td className="mono">{v.clientId || <span className="muted">—</span>}</td>
      <td>
        <ul className="sp-findings">
          {v.errors.map((e, i) => {
            const f = ruleFinding(e);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: errors of one violation, in order
              <li key={i}>
                <span className={`sev sev-${f.severity}`}>{f.rule}</span> {f.text}
                {f.conformance ? <span className="chip mono conformance">{f.conformance}</span> : null}
              </li>
            );
          })}
        </ul>
      </td>
    </tr>
  );
}

export function Violations({ filters }: { filters: Filters }) {
  const q = useSparkplugViolations(filters);
  // A new violation changes the count per kind (the tile above): fetch that again now rather
  // than at its next slower refresh.
  const client = useQueryClient();
  const newest = q.data?.items[0]?.id;
  const seen = useRef(newest);
  useEffect(() => {
    if (newest === seen.current) return;
    seen.current = newest;
    void client.invalidateQueries({ queryKey: ["violation-kinds"] });
  }, [newest, client]);
  return (
    <Section
      title="Sparkplug rule violations"
      id="sp-violations"
      actions={<Link href={paths.violations({ ...filters, kind: SPARKPLUG_KIND })}>All of them →</Link>}
    >
      <QueryView
        query={q}
        loadingLabel="Loading Sparkplug violations"
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="No Sparkplug rule broken in this window" />}
      >
        {(d) => (
          <div className="table-wrap">
            <table data-testid="sparkplug-violations">
              <caption className="sr-only">Sparkplug rule violations, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Publisher</th>
                  <th scope="col">Rule broken · conformance id</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((v) => (
                  <ViolationRow key={v.id} v={v} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Section>
  );
}
