import { useQuery } from "@tanstack/react-query";
import type { TopicsResponse } from "@uns/api-contract";
import { getJson } from "../../lib/api";
import { useTimeZone } from "../../lib/config";
import { FilterBar } from "../../lib/filter-bar";
import { RANGE_LABELS, windowOf } from "../../lib/filters";
import { formatTime } from "../../lib/format";
import { PageHeader } from "../../lib/ui";
import { useUrlState } from "../../lib/url-state";
import { ByChannel, ByLevel } from "./components/summaries";
import { LiveRates, Tiles, Trend } from "./components/tiles";
import { parseWorstSort, WorstPublishers, WorstTopics } from "./components/worst";
import { defaultDepth, levelNames } from "./levels";

function useLevelNames(): string[] {
  const q = useQuery({
    queryKey: ["tree-levels"],
    queryFn: ({ signal }) => {
      const to = new Date();
      const from = new Date(to.getTime() - 60_000);
      return getJson<TopicsResponse>(`/topics?from=${from.toISOString()}&to=${to.toISOString()}`, signal);
    },
    staleTime: 5 * 60_000,
    select: (d) => levelNames(d.tree),
  });
  return q.data ?? ["enterprise", "site", "area", "line", "cell"];
}

export function OverviewPage() {
  const { filters, params, update } = useUrlState();
  const tz = useTimeZone();
  const names = useLevelNames();
  const depthParam = Number(params.get("depth"));
  const depth =
    Number.isInteger(depthParam) && depthParam >= 1 && depthParam <= 12 ? depthParam : defaultDepth(names);
  const w = windowOf(filters);
  return (
    <div className="page page-overview">
      <PageHeader title="Overview">
        <span className="muted">
          {filters.range === "custom" ? (
            <>
              {formatTime(w.from, tz, { seconds: false })} – {formatTime(w.to, tz, { seconds: false })}
            </>
          ) : (
            RANGE_LABELS[filters.range]
          )}
          {filters.topic ? ` · ${filters.topic}` : ""}
          {filters.channel ? ` · channel ${filters.channel}` : ""}
        </span>
      </PageHeader>
      <FilterBar fields={["topic", "channel"]} resetKeys={[]} />
      <Tiles filters={filters} />
      <div className="grid grid-2-1">
        <Trend filters={filters} />
        <LiveRates />
      </div>
      <div className="grid grid-2">
        <ByLevel
          filters={filters}
          depth={depth}
          names={names}
          onDepth={(d) => update({ depth: String(d) }, { replace: true })}
        />
        <ByChannel filters={filters} />
      </div>
      <div className="grid grid-2">
        <WorstTopics
          filters={filters}
          sort={parseWorstSort(params.get("worst"))}
          onSort={(k) => update({ worst: k === "invalid" ? undefined : k }, { replace: true })}
        />
        <WorstPublishers filters={filters} />
      </div>
    </div>
  );
}
