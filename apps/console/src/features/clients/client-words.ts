import type { ClientEvent } from "@uns/api-contract";

const REASONS: Record<string, string> = {
  clean: "clean (the client sent DISCONNECT)",
  "keepalive-timeout": "keep-alive timeout (nothing heard for 1.5 × keep-alive)",
  "client-error": "error",
  "connection-lost": "connection lost (closed without DISCONNECT)",
  "taken-over": "taken over (the same client id connected again)",
  admin: "disconnected by an admin",
};

/** What happened to a connection, in the words of the history table. */
export function eventText(e: ClientEvent): string {
  if (e.event === "connect") return "connected";
  if (e.event === "refused")
    return e.returnCode !== undefined
      ? `CONNECT refused, return code ${e.returnCode}: ${e.detail ?? ""}`.trim()
      : `connection refused before CONNECT: ${e.detail ?? "unknown"}`;
  const reason = REASONS[e.reason ?? ""] ?? e.reason ?? "disconnected";
  const parts = [
    e.reason === "client-error" && e.detail ? `error: ${e.detail}` : reason,
    e.reason === "admin" && e.by ? `(${e.by})` : "",
    e.willSent ? `; Will sent to ${e.willTopic ?? "its topic"}` : "",
  ];
  return parts.filter(Boolean).join(" ").replace(" ;", ";");
}

/** 95 000 ms -> "1 min 35 s" */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
