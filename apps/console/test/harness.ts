/**
 * Real things for the console's end-to-end tests and its benchmark: the compiled UNS server as a
 * child process (on free loopback ports, with a temporary copy of the server's test fixtures and
 * users), Debian's Chromium driven by playwright-core, and MQTT.js clients.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { type Browser, type BrowserContext, chromium } from "playwright-core";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// The server from its TypeScript sources (tsx, "source" condition): the code the other tests run.
export const SERVER_MAIN = here("../../server/src/main.ts");
export const FIXTURES = here("../../server/test/fixtures/");
export const CONSOLE_DIST = here("../dist/index.html");
export const PASSWORD = "console-test-password-1";
export const CHROMIUM = process.env.UNS_TEST_CHROMIUM ?? "/usr/bin/chromium";

export interface RunningServer {
  httpUrl: string;
  mqttUrl: string;
  dir: string;
  /** Every log line so far (JSON text), for failure messages. */
  log: string[];
  /** `options` adds to the defaults, e.g. a Will for a Sparkplug edge node. */
  connect(username?: string, clientId?: string, options?: IClientOptions): Promise<MqttClient>;
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts `apps/server/src/main.ts` (through tsx) with ports 0 and reads the ports from its
 * "UNS server ready" log line. Users device / viewer / admin get PASSWORD.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  for (const [file, what] of [
    [SERVER_MAIN, "the server"],
    [CONSOLE_DIST, "the console"],
  ] as const) {
    if (!existsSync(file))
      throw new Error(
        `${file} is missing: build ${what} first (pnpm build, or pnpm test which builds the console bundle)`,
      );
  }
  const dir = mkdtempSync(join(tmpdir(), "uns-console-"));
  cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
  for (const role of ["device", "viewer", "admin"])
    await addUser(join(dir, "topics"), role, PASSWORD, [role]);

  const tsx = import.meta.resolve("tsx");
  const child = spawn(process.execPath, ["--conditions=source", "--import", tsx, SERVER_MAIN], {
    env: {
      ...process.env,
      UNS_MQTT_PORT: "0",
      UNS_HTTP_PORT: "0",
      UNS_MQTT_HOST: "127.0.0.1",
      UNS_HTTP_HOST: "127.0.0.1",
      UNS_DATA_DIR: join(dir, "data"),
      UNS_CONTRACTS_DIR: join(dir, "asyncapi"),
      UNS_TOPICS_DIR: join(dir, "topics"),
      UNS_STORE_FLUSH_INTERVAL_MS: "50",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  // The "ready" line is logged at level info: UNS_LOG_LEVEL must not be above it.
  const ports = await waitReady(child, log).catch(async (err: unknown) => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  const httpUrl = `http://127.0.0.1:${ports.httpPort}`;
  const mqttUrl = `mqtt://127.0.0.1:${ports.mqttPort}`;
  const clients: MqttClient[] = [];
  return {
    httpUrl,
    mqttUrl,
    dir,
    log,
    async connect(username = "device", clientId?: string, options: IClientOptions = {}) {
      const c = await mqtt.connectAsync(mqttUrl, {
        username,
        password: PASSWORD,
        clientId,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        ...options,
      });
      clients.push(c);
      return c;
    },
    async api<T>(path: string) {
      const res = await fetch(httpUrl + path, { headers: { authorization: basicAuth("admin") } });
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const basicAuth = (user: string, password = PASSWORD) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** Logs a browser context in (its cookie jar then holds the session) as `username`. */
export async function logInContext(context: BrowserContext, username = "admin"): Promise<void> {
  const res = await context.request.post("/api/v1/auth/login", { data: { username, password: PASSWORD } });
  if (!res.ok()) throw new Error(`login as ${username}: ${res.status()} ${await res.text()}`);
}

/** Keeps the last 500 log lines (the pipe must be read all along, or the server blocks on it). */
function keep(log: string[], line: string): void {
  log.push(line);
  if (log.length > 500) log.splice(0, log.length - 500);
}

function waitReady(child: ChildProcess, log: string[]): Promise<{ mqttPort: number; httpPort: number }> {
  return new Promise<{ mqttPort: number; httpPort: number }>((resolve, reject) => {
    // Generous: the server starts from its sources (tsx), on a machine the tests share; a machine
    // shared by more (load average 20 on two cores) may need UNS_TEST_SERVER_READY_MS.
    const readyMs = Number(process.env.UNS_TEST_SERVER_READY_MS ?? 120_000);
    const timer = setTimeout(
      () =>
        reject(new Error(`server not ready within ${readyMs / 1000} s; log:\n${log.slice(-30).join("\n")}`)),
      readyMs,
    );
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        keep(log, line);
        if (line.includes("UNS server ready")) {
          try {
            const j = JSON.parse(line) as { mqttPort: number; httpPort: number };
            clearTimeout(timer);
            resolve({ mqttPort: j.mqttPort, httpPort: j.httpPort });
          } catch (e) {
            reject(e);
          }
        }
        nl = buffered.indexOf("\n");
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => keep(log, c.toString("utf8")));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(`server exited with code ${code} before it was ready; log:\n${log.slice(-30).join("\n")}`),
      );
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Debian's Chromium, headless (a test tool's own browser download does not work here). */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: install Debian's chromium package (see .ci/run)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A weld spot that fits the fixture contract (apps/server/test/fixtures/asyncapi/weld.yaml). */
export function weldSpot(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    spotId: "s-1",
    time: "2026-11-22T10:00:00Z",
    currentKA: 9.5,
    weldTimeMs: 300,
    curve: Array.from({ length: 40 }, (_, i) => Math.round(Math.sin(i / 4) * 1000) / 10),
    ...overrides,
  };
}

/** Resolves when `predicate` holds, polling; fails with the last value after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T>,
  predicate: (v: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await fn();
  while (!predicate(last)) {
    if (Date.now() > until)
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 1000)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
    last = await fn();
  }
  return last;
}
