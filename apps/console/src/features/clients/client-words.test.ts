import type { ClientEvent } from "@uns/api-contract";
import { describe, expect, it } from "vitest";
import { eventText, formatDuration } from "./client-words";

const e = (x: Partial<ClientEvent>): ClientEvent => ({
  seq: 1,
  time: "2026-12-01T10:00:00Z",
  event: "disconnect",
  clientId: "c",
  username: null,
  address: null,
  ...x,
});

describe("client history wording", () => {
  it("names every reason, the Will and the refusal's return code", () => {
    expect(eventText(e({ reason: "keepalive-timeout", willSent: true, willTopic: "a/b" }))).toBe(
      "keep-alive timeout (nothing heard for 1.5 × keep-alive); Will sent to a/b",
    );
    expect(eventText(e({ reason: "admin", by: "alice" }))).toBe("disconnected by an admin (alice)");
    expect(eventText(e({ reason: "client-error", detail: "Client queue limit reached" }))).toBe(
      "error: Client queue limit reached",
    );
    expect(eventText(e({ event: "refused", returnCode: 4, detail: "bad user name or password" }))).toBe(
      "CONNECT refused, return code 4: bad user name or password",
    );
    expect(eventText(e({ event: "connect" }))).toBe("connected");
  });

  it("formats durations", () => {
    expect(formatDuration(95_000)).toBe("1 min 35 s");
    expect(formatDuration(2 * 86400_000 + 3 * 3600_000)).toBe("2 d 3 h");
  });
});
