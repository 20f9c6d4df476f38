import { useQuery } from "@tanstack/react-query";
import type { SparkplugResponse, ViolationKindsResponse, ViolationPage } from "@uns/api-contract";
import { getJson } from "../../lib/api";
import { apiQuery, type Filters } from "../../lib/filters";
import { useLiveInterval } from "../../lib/live";

/** The Sparkplug page's reads of the API. */

/** The tracker's state changes with every message: follow it closely while live. */
export const REFRESH_MS = 2_000;
export const SPARKPLUG_KIND = "sparkplug";

export function useSparkplugState() {
  const interval = useLiveInterval(REFRESH_MS);
  return useQuery({
    queryKey: ["sparkplug"],
    queryFn: ({ signal }) => getJson<SparkplugResponse>("/sparkplug", signal),
    refetchInterval: interval,
  });
}

/** Sparkplug violations in the window; counting by kind scans the window, so not every 2 s. */
export function useSparkplugViolationCount(filters: Filters) {
  const kindsInterval = useLiveInterval(REFRESH_MS * 5);
  return useQuery({
    queryKey: ["violation-kinds", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) =>
      getJson<ViolationKindsResponse>(`/violations/kinds?${apiQuery(filters, [])}`, signal),
    refetchInterval: kindsInterval,
    select: (d) => d.kinds.find((k) => k.kind === SPARKPLUG_KIND)?.count ?? 0,
  });
}

export function useSparkplugViolations(filters: Filters) {
  const interval = useLiveInterval(REFRESH_MS);
  return useQuery({
    queryKey: ["violations", "sparkplug", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) =>
      getJson<ViolationPage>(
        `/violations?${apiQuery(filters, [], { kind: SPARKPLUG_KIND, limit: 20 })}`,
        signal,
      ),
    refetchInterval: interval,
  });
}
