import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type PostgresServer, startPostgres, type TestDatabase } from "@uns/testkit";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProcessorsConfig } from "../src/config.js";
import { createRegistry } from "../src/lifecycle/registry.js";
import { createRegistryRemote } from "../src/lifecycle/registry-remote.js";
import { type ControlServer, startControlServer } from "../src/runtime/control-server.js";
import { createProcessorsRuntime, type ProcessorsRuntime } from "../src/runtime/runtime.js";
import {
  connectDurable,
  freePort,
  PASSWORD,
  quietLogger,
  ROOT,
  startPlant,
  type TestPlant,
  until,
} from "./helper.js";
import { makeSpots, publishSpots } from "./spots.js";

// The model registry's record is the server's compliance store: real server, real processors,
// real sockets, on embedded PGlite and on a PostgreSQL server.
const REG = "rsw-nugget-regression";

describe.each(["pglite", "postgresql"] as const)(
  "model registry in the store (%s)",
  { timeout: 240_000 },
  (driver) => {
    let postgres: PostgresServer | null = null;
    let database: TestDatabase | null = null;
    let plant: TestPlant;
    let device: MqttClient;
    let config: ProcessorsConfig;
    let controlPort: number;
    let runtime: ProcessorsRuntime | null = null;
    let control: ControlServer | null = null;
    const models = mkdtempSync(join(tmpdir(), "uns-registry-models-"));
    const results = new Map<string, string>();
    const logs: string[] = [];
    const clients: MqttClient[] = [];

    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
    async function api(path: string, body?: unknown): Promise<{ status: number; body: any }> {
      const res = await fetch(plant.httpUrl + path, {
        method: body === undefined ? "GET" : "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    }
    /** The regression's record as the store holds it (GET /api/v1/models reads the store). */
    const stored = async () =>
      (await api("/api/v1/models")).body.find((m: { name: string }) => m.name === REG) as {
        live: string;
        canary: unknown;
        versions: Record<string, unknown>;
        history: { action: string; version: string; reason: string; by: string; at: string }[];
      };
    async function start(): Promise<ProcessorsRuntime> {
      const r = await createProcessorsRuntime(config, {
        logger: quietLogger(logs),
        contracts: await plant.contracts(),
      });
      await r.start();
      control = await startControlServer(r, { host: "127.0.0.1", port: controlPort });
      runtime = r;
      return r;
    }
    async function stop(): Promise<void> {
      await control?.close();
      control = null;
      await runtime?.stop();
      runtime = null;
    }
    const durable = (user: "device" | "viewer", clientId: string) =>
      connectDurable(plant.mqttUrl, user, clientId, clients);
    let seed = 0;
    async function send(count: number): Promise<string[]> {
      const spots = makeSpots(count, `registry-${driver}-${seed++}`);
      results.clear();
      await until(() => device.connected, 20_000, "device connected");
      await publishSpots(device, spots, false);
      await until(() => spots.every((s) => results.has(s.key)), 60_000, `${count} results`);
      return spots.map((s) => results.get(s.key)!);
    }
    function variant(version: string, edit?: (m: Record<string, unknown>) => void): void {
      const dir = join(models, REG, version);
      mkdirSync(dir, { recursive: true });
      cpSync(join(ROOT, "models", REG, "1.0.0"), dir, { recursive: true });
      const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
      m.version = version;
      edit?.(m);
      writeFileSync(join(dir, "manifest.json"), JSON.stringify(m, null, 2));
    }

    beforeAll(async () => {
      cpSync(join(ROOT, "models"), models, { recursive: true });
      if (driver === "postgresql") {
        postgres = await startPostgres();
        database = await createDatabase(postgres.url);
      }
      controlPort = await freePort();
      plant = await startPlant({
        "processors.url": `http://127.0.0.1:${controlPort}`,
        ...(database ? { databaseUrl: database.url } : {}),
      });
      device = await durable("device", `registry-${driver}-device`);
      const viewer = await durable("viewer", `registry-${driver}-viewer`);
      viewer.on("message", (_topic, payload) => {
        const r = JSON.parse(payload.toString());
        results.set(`${r.spot.controller}/${r.spot.seq}`, r.model.version);
      });
      await viewer.subscribeAsync("acme/+/+/+/+/results/weld-quality", { qos: 1 });
      config = plant.processorsConfig({
        modelsDir: models,
        "checkGate.enabled": false,
        "lifecycle.minCanarySpots": 50,
        "lifecycle.maxLatencyMs": 100,
        // The conflict test needs the runtime's view to stay stale until it makes its change.
        "registry.refreshMs": 0,
      });
    }, 300_000);

    afterAll(async () => {
      await stop();
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await plant?.close();
      await postgres?.destroy();
      rmSync(models, { recursive: true, force: true });
    }, 120_000);

    it("registers at start in the store, and a promotion survives a restart of the processors", async () => {
      await start();
      // The start-up registration: the versions loaded and the live deployment, by the processors.
      await until(() => runtime!.registry.status().pending === 0, 20_000, "registry in step");
      let record = await stored();
      expect(record.live).toBe("1.0.0");
      expect(Object.keys(record.versions)).toEqual(["1.0.0"]);
      expect(record.history.at(-1)).toMatchObject({
        action: "deploy-live",
        version: "1.0.0",
        by: "processors",
      });

      variant("1.1.0");
      const canary = await api(`/api/v1/models/${REG}/deploy`, {
        version: "1.1.0",
        mode: "canary",
        share: 0.3,
      });
      expect(canary.status).toBe(200);
      expect((await api(`/api/v1/models/${REG}/promote`, { reason: "canary looked fine" })).status).toBe(200);
      // The change is in the store when the API answers.
      record = await stored();
      expect(record.live).toBe("1.1.0");
      expect(record.history.slice(-2).map((h) => [h.action, h.version, h.by])).toEqual([
        ["deploy-canary", "1.1.0", "admin"],
        ["promote", "1.1.0", "admin"],
      ]);

      // Without the local cache only the store can tell the processors what is live.
      await stop();
      rmSync(join(config.dataDir, "model-registry.json"));
      await start();
      expect(runtime!.weldQuality!.regression.live()?.manifest.version).toBe("1.1.0");
      expect((await send(40)).every((v) => v === "1.1.0")).toBe(true);
      await until(() => runtime!.registry.status().pending === 0, 20_000, "registry in step");
      expect((await stored()).history.at(-1)).toMatchObject({
        action: "deploy-live",
        version: "1.1.0",
        reason: "start: live in the registry",
        by: "processors",
      });
    });

    it("records an automatic rollback in the store's history, by the processors", async () => {
      // Disagrees with the live model: its energy scaling is off, so its nuggets are wrong.
      variant("1.2.0", (m) => {
        const energy = (m.features as { path: string; mean: number }[]).find(
          (f) => f.path === "measured.energy",
        )!;
        energy.mean *= 0.5;
      });
      const deploy = await api(`/api/v1/models/${REG}/deploy`, {
        version: "1.2.0",
        mode: "canary",
        share: 0.5,
      });
      expect(deploy.status).toBe(200);
      expect((await stored()).canary).toEqual({ version: "1.2.0", share: 0.5 });
      await send(250);
      await until(() => runtime!.weldQuality!.regression.canary() === null, 30_000, "automatic rollback");
      await until(() => runtime!.registry.status().pending === 0, 20_000, "registry in step");
      const record = await stored();
      expect(record.canary).toBeNull();
      expect(record.live).toBe("1.1.0");
      const last = record.history.at(-1)!;
      expect(last).toMatchObject({ action: "rollback-canary", version: "1.2.0", by: "processors" });
      expect(last.reason).toMatch(/^automatic: disagreement/);
    });

    it("lets only the processors' role write the registry, and refuses a malformed change naming the field", async () => {
      const url = `${plant.httpUrl}/api/v1/internal/model-registry`;
      const as = (user: string) => ({
        authorization: `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString("base64")}`,
      });
      expect((await fetch(url, { headers: as("processor") })).status).toBe(200);
      // An admin changes models through the processors (POST /api/v1/models/...), never the record itself.
      const denied = await fetch(url, {
        method: "POST",
        headers: { ...as("admin"), "content-type": "application/json" },
        body: "{}",
      });
      expect(denied.status).toBe(403);
      expect((await denied.json()).error.message).toMatch(/role "processor"/);
      expect((await fetch(url, { headers: as("viewer") })).status).toBe(403);
      const bad = await fetch(url, {
        method: "POST",
        headers: { ...as("processor"), "content-type": "application/json" },
        body: JSON.stringify({ changes: [{ id: "x", name: REG, action: "promote" }] }),
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(
        /^body\/changes\/0\/(at|version|previous|reason|by|deployment) is required/,
      );
    });

    it("starts from the cache when the server is down, scores, and sends the changes when it is back", async () => {
      await stop();
      const cache = join(config.dataDir, "model-registry.json");
      expect(existsSync(cache)).toBe(true);
      const before = (await stored()).history.length;
      const started: { runtime?: Promise<ProcessorsRuntime> } = {};
      await plant.restart(async () => {
        // The server is down: the registry falls back to the cache; MQTT waits for the server.
        const r = await createProcessorsRuntime(config, {
          logger: quietLogger(logs),
          contracts: await plant.contracts(),
        });
        started.runtime = r.start().then(() => r);
        await until(
          () => r.registry.status().lastError !== null && r.weldQuality!.regression.live() !== null,
          30_000,
          "start from the cache",
        );
        expect(r.registry.status()).toMatchObject({ record: "cache" });
        expect(r.registry.status().pending).toBeGreaterThan(0);
        expect(r.weldQuality!.regression.live()?.manifest.version).toBe("1.1.0");
        expect(logs.some((l) => l.includes("starting from the cache"))).toBe(true);
      });
      runtime = await started.runtime!;
      control = await startControlServer(runtime, { host: "127.0.0.1", port: controlPort });
      expect((await send(40)).every((v) => v === "1.1.0")).toBe(true);
      await until(
        () => runtime!.registry.status().record === "store" && runtime!.registry.status().pending === 0,
        30_000,
        "re-synced",
      );
      const record = await stored();
      expect(record.history.length).toBe(before + 1);
      expect(record.history.at(-1)).toMatchObject({
        action: "deploy-live",
        version: "1.1.0",
        by: "processors",
      });
      expect(record.live).toBe("1.1.0");
    });

    it("imports a registry file from before the store once; a second host's stale change is refused and it follows the store", async () => {
      const LEGACY = `legacy-${driver}`;
      const remote = createRegistryRemote({
        url: plant.httpUrl,
        username: "processor",
        password: PASSWORD,
        timeoutMs: 10_000,
      });
      const dir = mkdtempSync(join(tmpdir(), "uns-registry-file-"));
      // The file as processors kept it before the store: no revisions, nothing pending.
      const oldFile = join(dir, "old.json");
      const v = {
        version: "1.0.0",
        manifestPath: "/models/legacy/1.0.0/manifest.json",
        sha256: "ab",
        kind: "regression",
        registeredAt: "2026-11-01T08:00:00.000Z",
      };
      const promote = {
        at: "2026-11-01T09:00:00.000Z",
        action: "promote",
        version: "1.0.0",
        previous: null,
        reason: "by hand",
        by: "admin",
      };
      const legacyFile = JSON.stringify({
        models: {
          [LEGACY]: {
            name: LEGACY,
            versions: { "1.0.0": v },
            live: "1.0.0",
            canary: null,
            shadow: null,
            history: [promote],
          },
        },
      });
      writeFileSync(oldFile, legacyFile);
      const hostA = createRegistry({ cacheFile: oldFile, remote });
      await hostA.open();
      const inStore = async () => (await remote.read()).find((r) => r.name === LEGACY);
      expect(await inStore()).toMatchObject({
        live: "1.0.0",
        revision: 2,
        versions: { "1.0.0": { sha256: "ab" } },
      });
      expect((await inStore())!.history.map((h) => h.action)).toEqual(["promote", "import"]);
      // The same old file on another host: the store has the record now, nothing is imported twice.
      const otherFile = join(dir, "other.json");
      writeFileSync(otherFile, legacyFile);
      const followed: string[] = [];
      const warnings: string[] = [];
      const hostB = createRegistry({
        cacheFile: otherFile,
        remote,
        onFollow: (r) => followed.push(`${r.name} ${r.live}`),
        log: (level, m) => level === "warn" && warnings.push(m),
      });
      await hostB.open();
      expect((await inStore())!.history).toHaveLength(2);
      expect(hostB.get(LEGACY)?.revision).toBe(2);

      // Both hosts at revision 2; A rolls back first, B promotes a canary from its stale view.
      const first = hostA.change(LEGACY, "rollback", null, "host A", (r) => {
        r.live = null;
      });
      expect(await hostA.flush()).toBe(true);
      const stale = hostB.change(LEGACY, "canary", "1.0.0", "host B", (r) => {
        r.canary = { version: "1.0.0", share: 0.1 };
      });
      expect(await hostB.flush()).toBe(true);
      // The control API answers 409 with this for the change that lost; the winner has none.
      expect(hostA.refusal(first)).toBeUndefined();
      expect(hostB.refusal(stale)).toMatch(
        /refused this canary of legacy-.*stale view.*store revision 3.*live none, canary none/,
      );
      expect(await inStore()).toMatchObject({ live: null, canary: null, revision: 3 });
      expect((await inStore())!.history.map((h) => h.reason)).not.toContain("host B");
      expect(hostB.get(LEGACY)).toMatchObject({ live: null, canary: null, revision: 3 });
      expect(followed).toEqual([`${LEGACY} null`]);
      expect(hostB.status()).toMatchObject({ inSync: true, conflicts: 1, pending: 0 });
      expect(hostB.status().lastError).toMatch(/UNS_ERR_STORE_MODEL_CONFLICT/);
      expect(warnings.join("\n")).toMatch(
        /refused 1 change\(s\) of legacy-.* made on a stale view \(canary 1\.0\.0 by processors\)/,
      );
      await hostA.close();
      await hostB.close();

      // A cache that cannot be read is kept aside (it may hold unsent changes), never overwritten.
      const broken = join(dir, "broken.json");
      writeFileSync(broken, '{"models": {');
      const said: string[] = [];
      const hostC = createRegistry({ cacheFile: broken, remote, log: (_l, m) => said.push(m) });
      await hostC.open();
      const aside = readdirSync(dir).find((f) => f.startsWith("broken.json.unreadable-"));
      expect(aside && readFileSync(join(dir, aside), "utf8")).toBe('{"models": {');
      expect(said.join("\n")).toMatch(/broken\.json is unreadable .*moved to .*unreadable-/);
      expect(hostC.get(LEGACY)).toMatchObject({ revision: 3 });
      await hostC.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("answers 409 through the server's API when another host changed the model first, and follows the store", async () => {
      // The running processors' view of the regression is in step; a second host changes it first.
      await until(() => runtime!.registry.status().pending === 0, 20_000, "registry in step");
      const other = createRegistry({
        cacheFile: null,
        remote: createRegistryRemote({
          url: plant.httpUrl,
          username: "processor",
          password: PASSWORD,
          timeoutMs: 10_000,
        }),
      });
      await other.open();
      other.change(REG, "rollback-live", "1.0.0", "other host", (r) => {
        r.live = "1.0.0";
      });
      expect(await other.flush()).toBe(true);
      await other.close();

      const lost = await api(`/api/v1/models/${REG}/deploy`, { version: "1.2.0", mode: "shadow" });
      expect(lost.status).toBe(409);
      expect(lost.body.error.code).toBe("UNS_ERR_MODEL_REGISTRY_CONFLICT");
      expect(lost.body.error.message).toMatch(/refused this deploy-shadow of .*stale view.*live 1\.0\.0/);
      // The store's deployment is what the processors serve now, and the lost change is not in it.
      await until(
        () => runtime!.weldQuality!.regression.live()?.manifest.version === "1.0.0",
        20_000,
        "followed the store",
      );
      expect(runtime!.weldQuality!.regression.shadow()).toBeNull();
      const record = await stored();
      expect(record.live).toBe("1.0.0");
      expect(record.history.at(-1)).toMatchObject({ action: "rollback-live", reason: "other host" });

      // A host that changes nothing follows the other's change by reading the store again.
      const remote = () =>
        createRegistryRemote({
          url: plant.httpUrl,
          username: "processor",
          password: PASSWORD,
          timeoutMs: 10_000,
        });
      const followed: string[] = [];
      const watcher = createRegistry({
        cacheFile: null,
        remote: remote(),
        refreshMs: 200,
        onFollow: (r) => followed.push(`${r.name} ${r.live} ${r.revision}`),
      });
      await watcher.open();
      const before = watcher.get(REG)!.revision;
      const writer = createRegistry({ cacheFile: null, remote: remote() });
      await writer.open();
      writer.change(REG, "promote", "1.1.0", "other host again", (r) => {
        r.live = "1.1.0";
      });
      expect(await writer.flush()).toBe(true);
      await until(() => followed.length > 0, 10_000, "watcher followed the store");
      expect(followed).toEqual([`${REG} 1.1.0 ${before + 1}`]);
      expect(watcher.get(REG)).toMatchObject({ live: "1.1.0", revision: before + 1 });
      await writer.close();
      await watcher.close();
    });
  },
);
