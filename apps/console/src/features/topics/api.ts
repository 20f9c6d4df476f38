import { useQuery } from "@tanstack/react-query";
import type { LastMessage, TopicsResponse } from "@uns/api-contract";
import { ApiError, getJson, qs } from "../../lib/api";
import { apiQuery, type Filters } from "../../lib/filters";

/** The governed tree and the topics seen in the window (GET /topics). */
export function useTopicsQuery(filters: Filters, refetchInterval: number | false) {
  return useQuery({
    queryKey: ["topics", filters.range, filters.from, filters.to, filters.topic],
    queryFn: ({ signal }) => getJson<TopicsResponse>(`/topics?${apiQuery(filters, ["topicPrefix"])}`, signal),
    refetchInterval,
  });
}

/** The last message the store holds for a topic; a 404 (none kept) is not retried. */
export function useLastMessageQuery(topic: string) {
  return useQuery({
    queryKey: ["last-message", topic],
    queryFn: ({ signal }) => getJson<LastMessage>(`/topics/last-message${qs({ topic })}`, signal),
    retry: (n, err) => !(err instanceof ApiError && err.status === 404) && n < 1,
    placeholderData: undefined,
  });
}
