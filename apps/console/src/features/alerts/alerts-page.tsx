import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Alert, AlertDetailResponse, AlertListResponse } from "@uns/api-contract";
import { useState } from "react";
import { Link } from "wouter";
import { ApiError, getJson, qs, sendJson } from "../../lib/api";
import { paths } from "../../lib/links";
import "../../lib/quality.css";
import { Empty, ErrorState, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";

const STATES = [
  ["open", "Open"],
  ["active-unacknowledged", "Active, unacknowledged"],
  ["active-acknowledged", "Active, acknowledged"],
  ["returned-unacknowledged", "Returned, unacknowledged"],
  ["cleared", "Cleared"],
  ["", "All"],
] as const;

function StateBadge({ state }: { state: string }) {
  return <span className={`alert-state alert-state-${state}`}>{state}</span>;
}

type Act = {
  action: string;
  version: number;
  comment?: string;
  assignee?: string | null;
  durationMinutes?: number;
};

function AlertDetail({ id }: { id: number }) {
  const client = useQueryClient();
  const [assignee, setAssignee] = useState("");
  const [comment, setComment] = useState("");
  const q = useQuery({
    queryKey: ["alert", id],
    queryFn: ({ signal }) => getJson<AlertDetailResponse>(`/alerts/${id}`, signal),
    refetchInterval: 5_000,
  });
  const act = useMutation({
    mutationFn: (body: Act) => sendJson<{ alert: Alert }>("POST", `/alerts/${id}/actions`, body),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ["alert", id] });
      void client.invalidateQueries({ queryKey: ["alerts"] });
    },
  });
  return (
    <QueryView query={q}>
      {({ alert: a, actions }) => {
        const open = a.state !== "cleared";
        const v = a.version;
        return (
          <Section title={`Alert ${a.id}`} id="alert-detail">
            <p>
              <StateBadge state={a.state} /> <strong>{a.title}</strong>
            </p>
            <p className="muted">{a.message}</p>
            <dl className="facts">
              <dt>Source</dt>
              <dd className="mono">{a.source}</dd>
              <dt>Severity</dt>
              <dd>{a.severity}</dd>
              <dt>Raised</dt>
              <dd>
                <Time value={a.raisedAt} />
              </dd>
              <dt>Assigned to</dt>
              <dd data-testid="assignee">{a.assignee ?? "nobody"}</dd>
              {a.shelvedUntil ? (
                <>
                  <dt>Shelved until</dt>
                  <dd>
                    <Time value={a.shelvedUntil} />
                  </dd>
                </>
              ) : null}
              {a.line ? (
                <>
                  <dt>Line</dt>
                  <dd>
                    <Link href={paths.line(a.line)}>{a.line}</Link>
                  </dd>
                </>
              ) : null}
            </dl>
            {act.error ? (
              <ErrorState
                error={
                  act.error instanceof ApiError && act.error.code === "UNS_ERR_ALERT_CONFLICT"
                    ? new ApiError(
                        409,
                        act.error.code,
                        `${act.error.message}. The view is refreshed: check and try again.`,
                      )
                    : act.error
                }
              />
            ) : null}
            <div className="alert-actions">
              {a.state === "active-unacknowledged" || a.state === "returned-unacknowledged" ? (
                <button
                  type="button"
                  className="btn btn-primary"
                  disabled={act.isPending}
                  onClick={() => act.mutate({ action: "ack", version: v })}
                >
                  {a.state === "returned-unacknowledged" ? "Acknowledge (clears)" : "Acknowledge"}
                </button>
              ) : null}
              {a.state === "returned-unacknowledged" ? (
                <button
                  type="button"
                  className="btn"
                  disabled={act.isPending}
                  onClick={() => act.mutate({ action: "clear", version: v })}
                >
                  Clear
                </button>
              ) : null}
              {open ? (
                <>
                  <label>
                    Assign to
                    <input
                      value={assignee}
                      onChange={(e) => setAssignee(e.target.value)}
                      placeholder="user name"
                    />
                  </label>
                  <button
                    type="button"
                    className="btn"
                    disabled={!assignee || act.isPending}
                    onClick={() => act.mutate({ action: "assign", version: v, assignee })}
                  >
                    Assign
                  </button>
                  {a.shelvedUntil ? (
                    <button
                      type="button"
                      className="btn"
                      onClick={() => act.mutate({ action: "unshelve", version: v })}
                    >
                      Unshelve
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="btn"
                      onClick={() => act.mutate({ action: "shelve", version: v, durationMinutes: 60 })}
                    >
                      Shelve 1 h
                    </button>
                  )}
                </>
              ) : null}
            </div>
            <div className="alert-actions">
              <label className="field-wide">
                Comment
                <input
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                  placeholder="what was done"
                />
              </label>
              <button
                type="button"
                className="btn"
                disabled={!comment || act.isPending}
                onClick={() =>
                  act.mutate({ action: "comment", version: v, comment }, { onSuccess: () => setComment("") })
                }
              >
                Add comment
              </button>
            </div>
            <h3>History</h3>
            <ol className="history" data-testid="alert-history">
              {actions.map((x) => (
                <li key={x.id}>
                  <Time value={x.time} /> <strong>{x.action}</strong> by {x.actor}
                  {x.fromState !== x.toState ? (
                    <>
                      {" "}
                      → <StateBadge state={x.toState} />
                    </>
                  ) : null}
                  {x.comment ? <q> {x.comment}</q> : null}
                  {x.action === "assign"
                    ? ` (${String((x.details as { assignee?: string } | null)?.assignee ?? "nobody")})`
                    : null}
                </li>
              ))}
            </ol>
          </Section>
        );
      }}
    </QueryView>
  );
}

/** Alerts from the rules and from the plant's alarms: filter, select, act; everything in the URL. */
export function AlertsPage() {
  const { params, update } = useUrlState();
  const state = params.get("state") ?? "open";
  const severity = params.get("severity") ?? "";
  const scope = params.get("scope") ?? "";
  const shelved = params.get("shelved") !== "hide";
  const id = Number(params.get("id")) || null;
  const q = useQuery({
    queryKey: ["alerts", state, severity, scope, shelved],
    queryFn: ({ signal }) =>
      getJson<AlertListResponse>(
        `/alerts${qs({ state, severity, scope, shelved: shelved ? undefined : "false" })}`,
        signal,
      ),
    refetchInterval: 5_000,
  });
  return (
    <div className="page">
      <PageHeader title="Alerts" />
      <div className="filters">
        <label className="field">
          State
          <select value={state} onChange={(e) => update({ state: e.target.value })}>
            {STATES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Severity
          <select value={severity} onChange={(e) => update({ severity: e.target.value })}>
            {["", "info", "warning", "error", "critical"].map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Source (subtree)
          <input
            defaultValue={scope}
            placeholder="acme/neckarsulm"
            onBlur={(e) => update({ scope: e.target.value })}
          />
        </label>
        <label className="field">
          <span>
            <input
              type="checkbox"
              checked={!shelved}
              onChange={(e) => update({ shelved: e.target.checked ? "hide" : undefined })}
            />{" "}
            hide shelved
          </span>
        </label>
      </div>
      <div className="alert-layout">
        <QueryView
          query={q}
          isEmpty={(d) => d.alerts.length === 0}
          empty={<Empty title="No alerts match these filters" />}
        >
          {(d) => (
            <div className="table-wrap">
              <table data-testid="alerts-table">
                <thead>
                  <tr>
                    <th scope="col">State</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Source</th>
                    <th scope="col">Raised</th>
                    <th scope="col">Assignee</th>
                  </tr>
                </thead>
                <tbody>
                  {d.alerts.map((a) => (
                    <tr key={a.id} className={a.id === id ? "selected" : undefined}>
                      <td>
                        <StateBadge state={a.state} />
                      </td>
                      <td>
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => update({ id: String(a.id) })}
                        >
                          {a.title}
                        </button>
                        <span className={`sev sev-${a.severity}`}> {a.severity}</span>
                        {a.shelvedUntil ? <span className="muted"> shelved</span> : null}
                      </td>
                      <td className="mono small">{a.source}</td>
                      <td>
                        <Time value={a.raisedAt} />
                      </td>
                      <td>{a.assignee ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
        <div>
          {id ? (
            <AlertDetail id={id} />
          ) : (
            <Empty title="Select an alert">Its actions and history appear here.</Empty>
          )}
        </div>
      </div>
    </div>
  );
}
