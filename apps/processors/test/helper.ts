import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser, type ContractSet, loadContracts } from "@uns/contracts";
import { createUnsServer, loadConfig as loadServerConfig } from "@uns/server";
import { DATA_TEMPLATE, seedDataDir } from "@uns/testkit";
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import { inject } from "vitest";
import { loadConfig, type ProcessorsConfig, type SettingKey } from "../src/config.js";
import type { Logger } from "../src/processors/weld-quality.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const PASSWORD = "test-password-1";

export interface TestPlant {
  dir: string;
  httpUrl: string;
  /** The contracts of `dir/asyncapi`, parsed once per test file. */
  contracts(): Promise<ContractSet>;
  mqttUrl: string;
  connect(user: "device" | "processor" | "viewer", clientId?: string): Promise<MqttClient>;
  processorsConfig(overrides?: Partial<Record<SettingKey, unknown>>): ProcessorsConfig;
  /** Stops the server and starts it again on the same ports and data (sessions kept on disk). */
  restart(between?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real UNS server in-process on free loopback ports, with the repository's own contracts and
 * topic tree (copied to a temporary folder), and users device / processor / viewer / admin.
 */
export async function startPlant(serverOverrides: Record<string, unknown> = {}): Promise<TestPlant> {
  const dir = mkdtempSync(join(tmpdir(), "uns-proc-test-"));
  cpSync(join(ROOT, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(ROOT, "topics"), join(dir, "topics"), { recursive: true });
  cpSync(join(ROOT, "models", "check-gate.rules.yaml"), join(dir, "check-gate.rules.yaml"));
  // The shipped roles bind a device to its own cell; the test's "device" publishes for every cell,
  // as the plant simulator does, so it has the gateway role. "admin" reads and drives the API.
  for (const [name, role] of [
    ["device", "gateway"],
    ["processor", "processor"],
    ["viewer", "viewer"],
    ["admin", "admin"],
  ] as const)
    await addUser(join(dir, "topics"), name, PASSWORD, [role]);
  seedDataDir(
    join(dir, "data"),
    inject(DATA_TEMPLATE),
    serverOverrides["contracts.cache"] === false ? false : "repo",
  );
  const serverConfig = (ports: { mqtt: number; http: number }) =>
    loadServerConfig({
      env: {},
      overrides: {
        "mqtt.host": "127.0.0.1",
        "mqtt.port": ports.mqtt,
        "http.host": "127.0.0.1",
        "http.port": ports.http,
        dataDir: join(dir, "data"),
        contractsDir: join(dir, "asyncapi"),
        topicsDir: join(dir, "topics"),
        "workers.size": 1,
        "store.flushIntervalMs": 50,
        // Cuts every 50 ms written every 100 ms: merged writes, as in production, without the wait.
        "store.writeIntervalMs": 100,
        "processors.url": "",
        // The machine these tests run on is shared: parsing the contracts can take a while.
        "contracts.loadTimeoutMs": 120_000,
        ...serverOverrides,
      },
    });
  const logger = pino({ level: process.env.UNS_TEST_LOG ?? "silent" });
  let server = await createUnsServer(serverConfig({ mqtt: 0, http: 0 }), { logger });
  const { mqttPort, httpPort } = await server.start();
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const clients: MqttClient[] = [];
  let contracts: Promise<ContractSet> | null = null;
  return {
    dir,
    contracts: () => (contracts ??= loadContracts(join(dir, "asyncapi")).then((l) => l.set)),
    mqttUrl,
    httpUrl,
    async connect(user, clientId) {
      const c = await mqtt.connectAsync(mqttUrl, {
        username: user,
        password: PASSWORD,
        clientId,
        reconnectPeriod: 0,
        protocolVersion: 4,
      });
      clients.push(c);
      return c;
    },
    processorsConfig(overrides = {}) {
      return loadConfig({
        env: {},
        overrides: {
          "mqtt.url": mqttUrl,
          "mqtt.username": "processor",
          "mqtt.password": PASSWORD,
          // The model registry's record: this plant's store, through its API.
          "registry.url": httpUrl,
          "registry.retryMs": 200,
          contractsDir: join(dir, "asyncapi"),
          modelsDir: join(ROOT, "models"),
          dataDir: join(dir, "processors"),
          "checkGate.rulesFile": join(dir, "check-gate.rules.yaml"),
          "workers.size": 1,
          ...overrides,
        },
      });
    },
    async restart(between) {
      await server.stop();
      await between?.();
      server = await createUnsServer(serverConfig({ mqtt: mqttPort, http: httpPort }), { logger });
      await server.start();
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free loopback port (the OS picks it; it is released at once for the caller to bind). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function quietLogger(lines: string[] = []): Logger {
  return { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

/** Waits until `check` returns true (polling), or fails after `ms`. */
export async function until(check: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A client that survives a restart of the server or the processors: persistent session (QoS 1
 * messages wait for it), reconnecting by itself. Added to `clients`, which the test closes.
 */
export async function connectDurable(
  mqttUrl: string,
  user: "device" | "viewer",
  clientId: string,
  clients: MqttClient[],
): Promise<MqttClient> {
  const c = await mqtt.connectAsync(mqttUrl, {
    username: user,
    password: PASSWORD,
    clientId,
    clean: false,
    reconnectPeriod: 200,
    protocolVersion: 4,
  });
  clients.push(c);
  return c;
}
