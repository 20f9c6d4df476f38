import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import { DATA_TEMPLATE, seedDataDir } from "@uns/testkit";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { pino } from "pino";
import { inject } from "vitest";
import { loadConfig, type SettingKey } from "../src/config.js";
import { createUnsServer, type UnsServer } from "../src/server.js";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const PASSWORD = "test-password-1";
/** A validation worker that crashes on `__crash__` and hangs on `__hang__` in a payload. */
export const FAULTY_WORKER = new URL("./fixtures/workers/faulty-validation-worker.ts", import.meta.url);

export interface TestServer {
  server: UnsServer;
  mqttUrl: string;
  /** MQTT over TLS port when a certificate is configured. */
  mqttTlsPort: number | null;
  httpUrl: string;
  dir: string;
  connect(username?: string | null, opts?: IClientOptions): Promise<MqttClient>;
  /** GET as the admin user (a session, logged in on first use). */
  api<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** Any request as the admin user's session, with the CSRF header. */
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    as?: string,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Starts a real UNS server on free loopback ports with a copy of the test fixtures (topics and
 * contracts) in a temporary folder, and users device / viewer / admin / restricted.
 */
export async function startTestServer(
  overrides: Partial<Record<SettingKey, unknown>> = {},
  prepare?: (dir: string) => void | Promise<void>,
  options: { validationWorker?: URL } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "uns-test-"));
  cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
  for (const role of ["device", "viewer", "admin", "restricted"])
    await addUser(join(dir, "topics"), role, PASSWORD, [role]);
  await prepare?.(dir);
  seedDataDir(
    join(dir, "data"),
    inject(DATA_TEMPLATE),
    overrides["contracts.cache"] === false ? false : "fixtures",
  );
  const config = loadConfig({
    env: {},
    overrides: {
      "mqtt.host": "127.0.0.1",
      "mqtt.port": 0,
      "http.host": "127.0.0.1",
      "http.port": 0,
      dataDir: join(dir, "data"),
      contractsDir: join(dir, "asyncapi"),
      topicsDir: join(dir, "topics"),
      "workers.size": 2,
      "store.flushIntervalMs": 50,
      // Cuts every 50 ms written every 100 ms: merged writes, as in production, without the wait.
      "store.writeIntervalMs": 100,
      ...overrides,
    },
  });
  const server = await createUnsServer(config, {
    logger: pino({ level: process.env.UNS_TEST_LOG ?? "silent" }),
    checkResponses: true,
    ...options,
  });
  const { mqttPort, mqttTlsPort, httpPort } = await server.start();
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const httpUrl = `${overrides["tls.certFile"] ? "https" : "http"}://127.0.0.1:${httpPort}`;
  const clients: MqttClient[] = [];
  const sessions = new Map<string, Promise<{ cookie: string; csrf: string }>>();
  const login = (username: string) => {
    let s = sessions.get(username);
    if (!s) {
      s = (async () => {
        const res = await fetch(`${httpUrl}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password: PASSWORD }),
        });
        if (!res.ok) throw new Error(`login as ${username}: ${res.status} ${await res.text()}`);
        const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
        return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
      })();
      sessions.set(username, s);
    }
    return s;
  };
  const request = async <T>(method: string, path: string, body?: unknown, as = "admin") => {
    const { cookie, csrf } = await login(as);
    const res = await fetch(httpUrl + path, {
      method,
      headers: {
        cookie,
        "x-csrf-token": csrf,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    server,
    mqttUrl,
    mqttTlsPort,
    httpUrl,
    dir,
    async connect(username = "device", opts = {}) {
      const client = await mqtt.connectAsync(mqttUrl, {
        username: username ?? undefined,
        password: username ? PASSWORD : undefined,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        protocolVersion: 4,
        ...opts,
      });
      clients.push(client);
      return client;
    },
    async api<T>(path: string) {
      const { status, body } = await request<T>("GET", path);
      return { status, body };
    },
    request,
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `predicate` holds, polling; fails with the last value after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  predicate: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!predicate(last)) {
    if (Date.now() > until)
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 2000)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}

/** Collects messages a client receives, in order. */
export function collect(client: MqttClient): { topic: string; payload: Buffer; retain: boolean }[] {
  const got: { topic: string; payload: Buffer; retain: boolean }[] = [];
  client.on("message", (topic, payload, packet) => got.push({ topic, payload, retain: packet.retain }));
  return got;
}

export function weldSpot(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    spotId: "s-1",
    time: "2026-11-22T10:00:00Z",
    currentKA: 9.5,
    weldTimeMs: 300,
    curve: Array.from({ length: 400 }, (_, i) => Math.round(Math.sin(i / 40) * 1000) / 10),
    ...overrides,
  };
}

/** The fixtures' governance (tree, access, weld contract) as the server loads it; close it after. */
export async function fixtureGovernance() {
  const { createGovernance } = await import("../src/governance.js");
  return createGovernance({
    contractsDir: join(FIXTURES, "asyncapi"),
    topicsDir: join(FIXTURES, "topics"),
    logger: pino({ level: "silent" }),
    onChange: () => undefined,
  });
}
