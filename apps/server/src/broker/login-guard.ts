import type { Access, AuthResult } from "@uns/contracts";
import type { Counter } from "prom-client";
import type { LoginLimiter } from "../api/auth/login-limiter.js";
import type { LoginCache } from "./login-cache.js";

export type MqttLoginResult = AuthResult | { ok: false; reason: "locked"; retryAfterMs: number };

/**
 * The MQTT side of the guessing limits: a CONNECT for a user name or from an address that must
 * wait is refused without checking the password (cached or not); each failure is counted. Unknown
 * users and wrong passwords cost the same scrypt work (see `Access.authenticate`); with `cache`,
 * a recent success does not (login-cache.ts).
 */
export function createMqttLoginCheck(o: {
  limiter: LoginLimiter;
  failures: Counter<"protocol" | "reason">;
  cache?: LoginCache;
}) {
  return async (
    access: Access,
    username: string,
    password: string,
    address: string | null,
  ): Promise<MqttLoginResult> => {
    const wait = o.limiter.retryAfterMs(username, address);
    if (wait > 0) {
      o.failures.inc({ protocol: "mqtt", reason: "locked" });
      return { ok: false, reason: "locked", retryAfterMs: wait };
    }
    const result = o.cache
      ? await o.cache.authenticate(access, username, password)
      : await access.authenticate(username, password);
    if (result.ok) o.limiter.succeeded(username);
    else {
      o.limiter.failed(username, address);
      o.failures.inc({ protocol: "mqtt", reason: result.reason });
    }
    return result;
  };
}

export type MqttLoginCheck = ReturnType<typeof createMqttLoginCheck>;

/** The peer address of an aedes client, over TCP, TLS or WebSocket. */
export function clientAddress(client: { conn?: unknown }): string | null {
  const conn = client.conn as { remoteAddress?: string; socket?: { remoteAddress?: string } } | undefined;
  return conn?.remoteAddress ?? conn?.socket?.remoteAddress ?? null;
}
