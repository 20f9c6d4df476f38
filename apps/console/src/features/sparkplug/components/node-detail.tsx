import type {
  SparkplugDevice,
  SparkplugEdgeNode,
  SparkplugHistoryEntry,
  SparkplugMetric,
} from "@uns/api-contract";

import { useTimeZone } from "../../../lib/config";
import { formatCount } from "../../../lib/format";
import { Section, Time } from "../../../lib/ui";
import {
  deathReasonText,
  formatSparkplugValue,
  isNumericType,
  metricUnit,
  nodeKey,
  rebirthReasonText,
} from "../sparkplug-format";
import { PresenceLine } from "./nodes";

/** One edge node in full: metrics, devices, history. */

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

export function NodeDetail({ n }: { n: SparkplugEdgeNode }) {
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
