import { useQuery } from "@tanstack/react-query";
import type {
  ContractsResponse,
  WorkbenchPayloadBody,
  WorkbenchPublishResponse,
  WorkbenchVerdict,
} from "@uns/api-contract";
import { getJson, sendJson } from "../../lib/api";
import { apiQuery, type Filters } from "../../lib/filters";

/** Contracts, load problems and coverage for the window (GET /contracts). */
export function useContractsQuery(filters: Filters) {
  return useQuery({
    queryKey: ["contracts", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) => getJson<ContractsResponse>(`/contracts?${apiQuery(filters, [])}`, signal),
  });
}

/** The verdict on a payload for a topic, nothing published (POST /workbench/validate). */
export function validatePayload(body: WorkbenchPayloadBody): Promise<WorkbenchVerdict> {
  return sendJson<WorkbenchVerdict>("POST", "/workbench/validate", body);
}

/** Publishes as the logged-in user (POST /workbench/publish); refused with 403 or 422. */
export function publishPayload(body: WorkbenchPayloadBody): Promise<WorkbenchPublishResponse> {
  return sendJson<WorkbenchPublishResponse>("POST", "/workbench/publish", body);
}
