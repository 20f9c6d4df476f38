import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ClientHistoryResponse, ClientsResponse, ConnectedClient } from "@uns/api-contract";
import { useState } from "react";
import { Link } from "wouter";
import { getJson, qs, sendJson } from "../../lib/api";
import { useMe } from "../../lib/auth";
import { ExportLinks } from "../../lib/export-links";
import { formatAgo, formatCount, formatPerSecond } from "../../lib/format";
import { paths } from "../../lib/links";
import { useLiveInterval } from "../../lib/live";
import { Empty, ErrorState, PageHeader, QueryView, RateBadge, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { eventText, formatDuration } from "./client-words";

const REFRESH_MS = 2000;

function DisconnectButton({ c }: { c: ConnectedClient }) {
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        className="btn btn-small btn-danger"
        disabled={busy}
        aria-label={`Disconnect ${c.clientId}`}
        onClick={async () => {
          if (!window.confirm(`Disconnect ${c.clientId}? It may reconnect at once.`)) return;
          setBusy(true);
          try {
            await sendJson("POST", `/clients/${encodeURIComponent(c.clientId)}/disconnect`);
            await client.invalidateQueries({ queryKey: ["clients"] });
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        Disconnect
      </button>
      {error ? <ErrorState error={error} /> : null}
    </>
  );
}

function ClientRow({ c, admin }: { c: ConnectedClient; admin: boolean }) {
  const comp = c.compliance;
  return (
    <tr data-client={c.clientId}>
      <td className="mono wrap-anywhere">
        <Link href={paths.violations({ range: "24h", client: c.clientId })}>{c.clientId}</Link>
      </td>
      <td>
        {c.username ?? <span className="muted">anonymous</span>}
        {c.roles.length ? <div className="muted small">{c.roles.join(", ")}</div> : null}
      </td>
      <td className="mono small">
        {c.address ?? "—"}
        <div className="muted">
          {c.protocol}, keep-alive {c.keepaliveSeconds ? `${c.keepaliveSeconds} s` : "off"}
          {c.cleanSession ? "" : ", persistent session"}
        </div>
      </td>
      <td className="nowrap">
        <Time value={c.connectedAt} omitTodayDate />
        <div className="muted small">{formatAgo(c.connectedAt)}</div>
      </td>
      <td className="small wrap-anywhere">
        {c.subscriptions.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <details>
            <summary>{c.subscriptions.length}</summary>
            <ul className="plain mono">
              {c.subscriptions.map((s) => (
                <li key={s.topic}>
                  {s.topic} <span className="muted">QoS {s.qos}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
        {c.will ? <div className="muted">Will on {c.will.topic}</div> : null}
      </td>
      <td className="num nowrap">
        {formatPerSecond(c.inPerSecond)} <span className="muted small">({formatCount(c.messagesIn)})</span>
      </td>
      <td className="num nowrap">
        {formatPerSecond(c.outPerSecond)} <span className="muted small">({formatCount(c.messagesOut)})</span>
        {c.messagesDropped > 0 ? (
          <div className="small" title="QoS 0 messages dropped: its outgoing queue was full">
            {formatCount(c.messagesDropped)} dropped
          </div>
        ) : null}
      </td>
      <td>
        {comp ? (
          <>
            <RateBadge rate={comp.complianceRate} />{" "}
            <span className="muted small">
              {formatCount(comp.invalid)} of {formatCount(comp.messages)} invalid
            </span>
            {comp.nonCompliantSince ? (
              <div className="small bad-text" data-testid="non-compliant-since">
                non-compliant since <Time value={comp.nonCompliantSince} omitTodayDate />
              </div>
            ) : null}
          </>
        ) : (
          <span className="muted">no messages in the last hour</span>
        )}
      </td>
      {admin ? (
        <td>
          <DisconnectButton c={c} />
        </td>
      ) : null}
    </tr>
  );
}

function ConnectedTable({ rows, admin }: { rows: ConnectedClient[]; admin: boolean }) {
  return (
    <div className="table-wrap">
      <table data-testid="clients-table" className="clients-table">
        <caption className="sr-only">Connected MQTT clients</caption>
        <thead>
          <tr>
            <th scope="col">Client id</th>
            <th scope="col">User · roles</th>
            <th scope="col">Address · protocol</th>
            <th scope="col">Connected since</th>
            <th scope="col">Subscriptions</th>
            <th scope="col" className="num">
              In /s
            </th>
            <th scope="col" className="num">
              Out /s
            </th>
            <th scope="col">Compliance (1 h)</th>
            {admin ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <ClientRow key={c.clientId} c={c} admin={admin} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function History({ q }: { q: string }) {
  const interval = useLiveInterval(REFRESH_MS);
  const h = useQuery({
    queryKey: ["clients", "history", q],
    queryFn: ({ signal }) =>
      getJson<ClientHistoryResponse>(`/clients/history${qs({ q, limit: 200 })}`, signal),
    refetchInterval: interval,
  });
  return (
    <Section title="Connects and disconnects" id="client-history">
      <QueryView
        query={h}
        loadingLabel="Loading the history"
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="Nothing yet">No client has connected since the server started.</Empty>}
      >
        {(d) => (
          <>
            <p className="muted small">
              Newest first; the server keeps the last {formatCount(d.capacity)} entries in memory (now{" "}
              {formatCount(d.kept)}, console.clientHistorySize), since its start.
            </p>
            <div className="table-wrap">
              <table data-testid="client-history">
                <caption className="sr-only">Connection history</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Client id</th>
                    <th scope="col">User</th>
                    <th scope="col">Address</th>
                    <th scope="col">What happened</th>
                    <th scope="col">Lasted</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((e) => (
                    <tr key={e.seq} className={`ev-${e.event}`}>
                      <td className="nowrap">
                        <Time value={e.time} omitTodayDate />
                      </td>
                      <td className="mono wrap-anywhere">{e.clientId ?? "—"}</td>
                      <td>{e.username ?? <span className="muted">—</span>}</td>
                      <td className="mono small">{e.address ?? "—"}</td>
                      <td>{eventText(e)}</td>
                      <td className="nowrap">
                        {e.connectedMs !== undefined ? formatDuration(e.connectedMs) : ""}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
    </Section>
  );
}

/** Who is connected to the broker and what happened to connections; admins can disconnect one. */
export function ClientsPage() {
  const { params, update } = useUrlState();
  const q = params.get("q") ?? "";
  const me = useMe();
  const admin = me.api === "admin";
  const interval = useLiveInterval(REFRESH_MS);
  const list = useQuery({
    queryKey: ["clients", "list", q],
    queryFn: ({ signal }) => getJson<ClientsResponse>(`/clients${qs({ q })}`, signal),
    refetchInterval: interval,
  });
  return (
    <div className="page page-clients">
      <PageHeader title="Clients">
        <span className="muted">Connected MQTT clients, updating every 2 s</span>
        <ExportLinks table="clients" label="clients" query={qs({ q }).replace(/^\?/, "")} />
      </PageHeader>
      <search className="search-bar">
        <form onSubmit={(e) => e.preventDefault()}>
          <label>
            Search{" "}
            <input
              type="search"
              value={q}
              placeholder="client id, user, address, subscription"
              onChange={(e) => update({ q: e.target.value || undefined }, { replace: true })}
            />
          </label>
        </form>
      </search>
      <Section
        title={list.data ? `Connected (${list.data.clients.length})` : "Connected"}
        id="connected-clients"
      >
        <QueryView
          query={list}
          loadingLabel="Loading clients"
          isEmpty={(d) => d.clients.length === 0}
          empty={<Empty title={q ? "No connected client matches" : "No client is connected"} />}
        >
          {(d) => <ConnectedTable rows={d.clients} admin={admin} />}
        </QueryView>
      </Section>
      <History q={q} />
    </div>
  );
}
