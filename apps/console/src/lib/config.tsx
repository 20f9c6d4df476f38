import { useQuery } from "@tanstack/react-query";
import type { PublicConfig } from "@uns/api-contract";
import { createContext, type ReactNode, useContext } from "react";
import { getJson } from "./api";

/** Settings the server gives the console (GET /api/v1/config): the plant's time zone first. */
export function useConfigQuery() {
  return useQuery({
    queryKey: ["config"],
    queryFn: ({ signal }) => getJson<PublicConfig>("/config", signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

const ConfigContext = createContext<PublicConfig>({
  timeZone: "UTC",
  mqttWebSocketPath: "/mqtt",
  version: "",
});

export function ConfigProvider({ value, children }: { value: PublicConfig; children: ReactNode }) {
  return <ConfigContext.Provider value={value}>{children}</ConfigContext.Provider>;
}

export function useConfig(): PublicConfig {
  return useContext(ConfigContext);
}

/** The plant's IANA time zone; every time on screen is shown in it. */
export function useTimeZone(): string {
  return useContext(ConfigContext).timeZone;
}
