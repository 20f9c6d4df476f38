import type { SparkplugEdgeNode, SparkplugResponse } from "@uns/api-contract";
import { Link } from "wouter";

import type { Filters } from "../../../lib/filters";
import { formatCount } from "../../../lib/format";
import { paths } from "../../../lib/links";
import { Time } from "../../../lib/ui";
import { SPARKPLUG_KIND } from "../api";
import {
  countOnline,
  deathReasonText,
  formatDuration,
  nodeKey,
  presence,
  presenceText,
} from "../sparkplug-format";
import { useNow } from "./use-now";

/** Tiles and the edge-node table. */

export function StatusBadge({ online }: { online: boolean }) {
  return (
    <span className={`status ${online ? "status-online" : "status-offline"}`}>
      {online ? "online" : "offline"}
    </span>
  );
}

/** Online since the last birth or offline since the last death, with why it went down. */
export function PresenceLine({ x }: { x: Pick<SparkplugEdgeNode, "online" | "lastBirth" | "lastDeath"> }) {
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

export function Tiles({
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

export function NodesTable({
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
