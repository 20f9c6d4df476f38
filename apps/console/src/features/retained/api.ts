import { useQuery } from "@tanstack/react-query";
import type { RetainedClearResponse, RetainedMessageResponse, RetainedResponse } from "@uns/api-contract";
import { getJson, qs, sendJson } from "../../lib/api";

/** Retained messages the broker holds, by subtree and text (GET /retained). */
export function useRetainedQuery(prefix: string, q: string, refetchInterval: number | false) {
  return useQuery({
    queryKey: ["retained", prefix, q],
    queryFn: ({ signal }) => getJson<RetainedResponse>(`/retained${qs({ prefix, q, limit: 1000 })}`, signal),
    refetchInterval,
  });
}

export function useRetainedMessage(topic: string | null) {
  return useQuery({
    queryKey: ["retained-message", topic],
    enabled: topic !== null,
    queryFn: ({ signal }) => getJson<RetainedMessageResponse>(`/retained/message${qs({ topic })}`, signal),
    placeholderData: undefined,
    retry: false,
  });
}

/** (admin) Removes one retained message, or a subtree's; the server audits it. */
export function clearRetained(topic: string, subtree: boolean): Promise<RetainedClearResponse> {
  return sendJson<RetainedClearResponse>("POST", "/retained/clear", { topic, subtree });
}
