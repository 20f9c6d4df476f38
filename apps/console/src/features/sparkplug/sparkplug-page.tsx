import { useQuery, useQueryClient } from "@tanstack/react-query";
import type {
  SparkplugDevice,
  SparkplugEdgeNode,
  SparkplugHistoryEntry,
  SparkplugMetric,
  SparkplugResponse,
  ViolationItem,
  ViolationKindsResponse,
  ViolationPage,
} from "@uns/api-contract";
import { useEffect, useRef, useSyncExternalStore } from "react";
import { Link } from "wouter";
import { getJson } from "../../lib/api";
import { useTimeZone } from "../../lib/config";
import { FilterBar } from "../../lib/filter-bar";
import { apiQuery, type Filters } from "../../lib/filters";
import { formatCount } from "../../lib/format";
import { paths } from "../../lib/links";
import { useLiveInterval, useLivePaused } from "../../lib/live";
import { Empty, PageHeader, QueryView, Section, Time } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import {
  countOnline,
  deathReasonText,
  formatDuration,
  formatSparkplugValue,
  isNumericType,
  metricUnit,
  nodeKey,
  pickNode,
  presence,
  presenceText,
  rebirthReasonText,
  ruleFinding,
} from "./sparkplug-format";

/** The tracker's state changes with every message: follow it closely while live. */
const REFRESH_MS = 2_000;
const SPARKPLUG_KIND = "sparkplug";

/**
 * One clock for every "online for ..." on the page, ticking each second while live updates run:
 * only the components that show a duration re-render.
 */
const clock = (() => {
  let now = Date.now();
  let timer: ReturnType<typeof setInterval> | null = null;
  const listeners = new Set<() => void>();
  return {
    get: () => now,
    subscribe(l: () => void) {
      listeners.add(l);
      if (!timer) now = Date.now();
      timer ??= setInterval(() => {
        now = Date.now();
        for (const f of listeners) f();
      }, 1000);
      return () => {
        listeners.delete(l);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
  };
})();

const still = () => () => {};

function useNow(): number {
  const paused = useLivePaused();
  return useSyncExternalStore(paused ? still : clock.subscribe, clock.get, clock.get);
}

function StatusBadge({ online }: { online: boolean }) {
  return (
    <span className={`status ${online ? "status-online" : "status-offline"}`}>
      {online ? "online" : "offline"}
    </span>
  );
}

/** Online since the last birth or offline since the last death, with why it went down. */
function PresenceLine({ x }: { x: Pick<SparkplugEdgeNode, "online" | "lastBirth" | "lastDeath"> }) {
  const now = useNow();
  // The clock may lag a state change that just arrived; a duration is never negative.
  const p = presence(x, Math.max(now, x.online ? (x.lastBirth?.time ?? 0) : (x.lastDeath?.time ?? 0)));
  return (
    <span title={presenceText(p)}>
      <StatusBadge online={p.online} />
      {p.forMs !== undefined ? <span className="muted"> for {formatDuration(p.forMs)}</span> : null}
      {p.since !== undefined ? (
        <span className="muted">
          {" "}
          (since <Time value={new Date(p.since)} omitTodayDate />)
        </span>
      ) : null}
      {!p.online && x.lastDeath ? <span> — {deathReasonText(x.lastDeath.reason)}</span> : null}
    </span>
  );
}

function Tiles({
  data,
  violations,
  filters,
}: {
  data: SparkplugResponse;
  violations: number | undefined;
  filters: Filters;
}) {
  const c = countOnline(data.groups);
  return (
    <div className="tiles" data-testid="sparkplug-totals">
      <div className="tile">
        <div className="tile-label">Edge nodes online</div>
        <div className="tile-value" data-testid="nodes-online">
          {formatCount(c.nodesOnline)} <span className="muted">/ {formatCount(c.nodes)}</span>
        </div>
        <div className="tile-sub muted">
          in {c.groups} group{c.groups === 1 ? "" : "s"}
        </div>
      </div>
      <div className="tile">
        <div className="tile-label">Devices online</div>
        <div className="tile-value" data-testid="devices-online">
          {formatCount(c.devicesOnline)} <span className="muted">/ {formatCount(c.devices)}</span>
        </div>
        <div className="tile-sub muted">born and not dead</div>
      </div>
      <div className="tile">
        <div className="tile-label">Rebirths asked for</div>
        <div className="tile-value">{formatCount(data.rebirths.length)}</div>
        <div className="tile-sub muted">
          {data.hostId ? "since the server started" : "none: not primary host"}
        </div>
      </div>
      <div className="tile tile-invalid">
        <div className="tile-label">Rule violations</div>
        <div className="tile-value" data-testid="sparkplug-violation-count">
          {violations === undefined ? (
            "—"
          ) : violations > 0 ? (
            <Link href={paths.violations({ ...filters, kind: SPARKPLUG_KIND })} className="tile-link">
              {formatCount(violations)}
            </Link>
          ) : (
            "0"
          )}
        </div>
        <div className="tile-sub muted">in the window</div>
      </div>
    </div>
  );
}

function NodesTable({
  data,
  selected,
  filters,
}: {
  data: SparkplugResponse;
  selected: string | undefined;
  filters: Filters;
}) {
  return (
    <div className="table-wrap">
      <table data-testid="sparkplug-nodes">
        <caption className="sr-only">Edge nodes by group, with their state</caption>
        <thead>
          <tr>
            <th scope="col">Edge node</th>
            <th scope="col">Group</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Devices online
            </th>
            <th scope="col" className="num">
              Metrics
            </th>
            <th scope="col" className="num">
              Rebirths
            </th>
            <th scope="col" className="num">
              Violations
            </th>
          </tr>
        </thead>
        <tbody>
          {data.groups.flatMap((g) =>
            g.edgeNodes.map((n) => {
              const key = nodeKey(n);
              const isSelected = key === selected;
              return (
                <tr
                  key={key}
                  className={
                    [n.online ? "" : "row-bad", isSelected ? "is-selected" : ""].join(" ").trim() || undefined
                  }
                  data-node={key}
                >
                  <th scope="row" className="mono">
                    <Link
                      href={paths.sparkplug(filters, { node: key })}
                      aria-current={isSelected ? "true" : undefined}
                      replace
                    >
                      {n.edgeNode}
                    </Link>
                  </th>
                  <td className="mono">{g.group}</td>
                  <td>
                    <PresenceLine x={n} />
                  </td>
                  <td className="num">
                    {n.devices.filter((d) => d.online).length} / {n.devices.length}
                  </td>
                  <td className="num">{formatCount(n.metrics.length)}</td>
                  <td className="num">{formatCount(n.rebirths.requested)}</td>
                  <td className="num">{formatCount(n.violations)}</td>
                </tr>
              );
            }),
          )}
        </tbody>
      </table>
    </div>
  );
}

function MetricsTable({ metrics, label }: { metrics: SparkplugMetric[]; label: string }) {
  const tz = useTimeZone();
  const shown = metrics.filter((m) => m.name !== "bdSeq" && !m.name.startsWith("Node Control/"));
  const hidden = metrics.length - shown.length;
  if (metrics.length === 0) return <p className="muted">No metrics declared.</p>;
  return (
    <div className="table-wrap">
      <table className="metrics" data-testid="sparkplug-metrics" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" className="num">
              Value
            </th>
            <th scope="col">Unit</th>
            <th scope="col">Datatype</th>
            <th scope="col">Quality</th>
            <th scope="col">Timestamp</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((m) => (
            <tr key={m.name} className={m.quality === "good" ? undefined : "is-stale"}>
              <th scope="row" className="mono">
                {m.name}
                {m.alias !== undefined ? <span className="muted small"> alias {String(m.alias)}</span> : null}
              </th>
              <td
                className={`mono value-cell${isNumericType(m.datatype) ? " num" : ""}`}
                data-metric={m.name}
              >
                {formatSparkplugValue(m, tz)}
              </td>
              <td>{metricUnit(m) ?? <span className="muted">—</span>}</td>
              <td className="mono">{m.datatype}</td>
              <td>
                <span className={`quality quality-${m.quality}`}>{m.quality}</span>
              </td>
              <td className="nowrap">
                <Time value={new Date(m.timestamp ?? m.updatedAt)} omitTodayDate />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {hidden > 0 ? (
        <p className="muted small">
          {hidden} protocol metric{hidden === 1 ? "" : "s"} (bdSeq, Node Control/…) not shown.
        </p>
      ) : null}
    </div>
  );
}

const EVENT_TEXT: Record<SparkplugHistoryEntry["event"], string> = {
  birth: "birth",
  death: "death",
  "rebirth-requested": "rebirth asked for",
  "death-ignored": "death ignored",
};

function History({ entries }: { entries: SparkplugHistoryEntry[] }) {
  if (entries.length === 0) return <p className="muted">No births or deaths yet.</p>;
  return (
    <ol className="history sp-history">
      {[...entries].reverse().map((h, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a fixed log, newest first
        <li key={i}>
          <Time value={new Date(h.time)} omitTodayDate />{" "}
          <span className={`sp-event sp-event-${h.event}`}>{EVENT_TEXT[h.event] ?? h.event}</span>
          {h.reason ? (
            <span className="muted">
              {" "}
              —{" "}
              {h.event === "rebirth-requested"
                ? rebirthReasonText(h.reason)
                : h.event === "death"
                  ? deathReasonText(h.reason)
                  : h.reason}
            </span>
          ) : null}
          {h.bdSeq !== undefined ? <span className="muted mono"> bdSeq {String(h.bdSeq)}</span> : null}
          {h.seq !== undefined ? <span className="muted mono"> seq {String(h.seq)}</span> : null}
        </li>
      ))}
    </ol>
  );
}

function DeviceCard({ d }: { d: SparkplugDevice }) {
  return (
    <section
      className="sp-device"
      aria-labelledby={`dev-${d.group}-${d.edgeNode}-${d.device}`}
      data-device={d.device}
    >
      <h3 id={`dev-${d.group}-${d.edgeNode}-${d.device}`}>
        Device <span className="mono">{d.device}</span>
      </h3>
      <p>
        <PresenceLine x={d} />
      </p>
      <MetricsTable metrics={d.metrics} label={`Metrics of device ${d.device}`} />
      <details>
        <summary>Births and deaths ({d.history.length})</summary>
        <History entries={d.history} />
      </details>
    </section>
  );
}

function NodeDetail({ n }: { n: SparkplugEdgeNode }) {
  return (
    <Section title={`Edge node ${n.group}/${n.edgeNode}`} id="sp-node">
      <div data-testid="sparkplug-node" data-node={nodeKey(n)}>
        <dl className="facts">
          <dt>State</dt>
          <dd data-testid="node-state">
            <PresenceLine x={n} />
          </dd>
          <dt>Last birth</dt>
          <dd>
            {n.lastBirth ? (
              <>
                <Time value={new Date(n.lastBirth.time)} />
                {n.lastBirth.bdSeq !== undefined ? (
                  <span className="muted mono"> bdSeq {String(n.lastBirth.bdSeq)}</span>
                ) : null}
              </>
            ) : (
              <span className="muted">none seen</span>
            )}
          </dd>
          <dt>Last death</dt>
          <dd>
            {n.lastDeath ? (
              <>
                <Time value={new Date(n.lastDeath.time)} /> — {deathReasonText(n.lastDeath.reason)}
              </>
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
          <dt>MQTT client</dt>
          <dd className="mono">{n.clientId ?? "—"}</dd>
          <dt>Sequence</dt>
          <dd>
            <span className="mono">bdSeq {n.bdSeq !== undefined ? String(n.bdSeq) : "—"}</span>,{" "}
            <span className="mono">last seq {n.lastSeq ?? "—"}</span>
            {n.pendingSeqs.length > 0 ? (
              <span className="notice small">
                {" "}
                waiting for seq {n.pendingSeqs.join(", ")} (reorder window)
              </span>
            ) : null}
          </dd>
          <dt>Messages</dt>
          <dd>
            {formatCount(n.messages)}, {formatCount(n.violations)} breaking a rule
          </dd>
          <dt>Rebirths</dt>
          <dd>
            {formatCount(n.rebirths.requested)} asked for
            {n.rebirths.suppressed > 0
              ? `, ${formatCount(n.rebirths.suppressed)} held back (rate limit)`
              : ""}
            {n.rebirths.lastRequestAt !== undefined ? (
              <>
                ; last <Time value={new Date(n.rebirths.lastRequestAt)} omitTodayDate /> —{" "}
                {rebirthReasonText(n.rebirths.lastReason)}
              </>
            ) : null}
          </dd>
        </dl>
        <h3>Node metrics</h3>
        <MetricsTable metrics={n.metrics} label={`Metrics of edge node ${n.edgeNode}`} />
        {n.devices.length === 0 ? (
          <p className="muted">No devices born on this edge node.</p>
        ) : (
          n.devices.map((d) => <DeviceCard key={d.device} d={d} />)
        )}
        <details>
          <summary>Births and deaths of the node ({n.history.length})</summary>
          <History entries={n.history} />
        </details>
      </div>
    </Section>
  );
}

function Rebirths({ data }: { data: SparkplugResponse }) {
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

function Violations({ filters }: { filters: Filters }) {
  const interval = useLiveInterval(REFRESH_MS);
  const q = useQuery({
    queryKey: ["violations", "sparkplug", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) =>
      getJson<ViolationPage>(
        `/violations?${apiQuery(filters, [], { kind: SPARKPLUG_KIND, limit: 20 })}`,
        signal,
      ),
    refetchInterval: interval,
  });
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

export function SparkplugPage() {
  const { filters, params } = useUrlState();
  const interval = useLiveInterval(REFRESH_MS);
  // Counting violations by kind scans the window: not every 2 s.
  const kindsInterval = useLiveInterval(REFRESH_MS * 5);
  const q = useQuery({
    queryKey: ["sparkplug"],
    queryFn: ({ signal }) => getJson<SparkplugResponse>("/sparkplug", signal),
    refetchInterval: interval,
  });
  const kinds = useQuery({
    queryKey: ["violation-kinds", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) =>
      getJson<ViolationKindsResponse>(`/violations/kinds?${apiQuery(filters, [])}`, signal),
    refetchInterval: kindsInterval,
    select: (d) => d.kinds.find((k) => k.kind === SPARKPLUG_KIND)?.count ?? 0,
  });
  const hostId = q.data?.hostId;
  return (
    <div className="page page-sparkplug">
      <PageHeader title="Sparkplug B">
        <span className="muted">
          {q.data === undefined
            ? "Edge nodes and devices, their metrics and the Sparkplug rules"
            : hostId
              ? `The server is primary host ${hostId}`
              : "The server observes (not a primary host)"}
        </span>
      </PageHeader>
      <FilterBar fields={[]} resetKeys={[]} />
      <QueryView query={q} loadingLabel="Loading the Sparkplug state">
        {(data) => {
          const selected = pickNode(data.groups, params.get("node"));
          return (
            <>
              <Tiles data={data} violations={kinds.data} filters={filters} />
              {data.groups.length === 0 ? (
                <Empty title="No Sparkplug edge node seen yet">
                  Edge nodes publish under <span className="mono">spBv1.0/</span>; the server tracks each one
                  from its NBIRTH.
                </Empty>
              ) : (
                <>
                  <div className="grid grid-2-1">
                    <Section title="Edge nodes" id="sp-nodes">
                      <NodesTable
                        data={data}
                        selected={selected ? nodeKey(selected) : undefined}
                        filters={filters}
                      />
                    </Section>
                    <Rebirths data={data} />
                  </div>
                  {selected ? <NodeDetail n={selected} /> : null}
                </>
              )}
            </>
          );
        }}
      </QueryView>
      <Violations filters={filters} />
    </div>
  );
}
