/**
 * The Models page end to end: the server (from its sources) relaying to the real processors
 * (compiled, their own process, real worker threads and onnxruntime) over real sockets, and
 * Debian's Chromium. An admin starts a canary, promotes it and rolls back through the page's
 * buttons and their confirmation dialogs; a viewer sees the page without the buttons.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  basicAuth,
  type ConsoleFixture,
  eventually,
  logInContext,
  openConsole,
  PASSWORD,
  type RunningServer,
  repoPlant,
} from "./harness";

const PROCESSORS = fileURLToPath(new URL("../../processors/dist/main.js", import.meta.url));
const REG = "rsw-nugget-regression";

let plant: Awaited<ReturnType<typeof repoPlant>>;
let dir: string;
let c: ConsoleFixture;
let server: RunningServer;
let processors: ChildProcess | null = null;
const processorLog: string[] = [];
let page: Page;

interface Model {
  name: string;
  // The store's record, plus what the processors serve (null until their control interface answers).
  serving: { live: string | null; canary: { version: string; share: number } | null } | null;
  /** The deployment as the store records it (the processors write it just after they switch). */
  live: string | null;
  history: { action: string; version: string | null; reason: string; by: string }[];
}
const models = async () => {
  const res = await fetch(`${server.httpUrl}/api/v1/models`, {
    headers: { authorization: basicAuth("admin") },
  });
  return (await res.json()) as Model[];
};
const regression = async () => (await models()).find((m) => m.name === REG)!;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

beforeAll(async () => {
  if (!existsSync(PROCESSORS)) throw new Error(`${PROCESSORS} is missing: run pnpm build first`);
  plant = await repoPlant(
    [
      ["viewer", "viewer"],
      ["admin", "admin"],
      ["processor", "processor"],
    ],
    { models: true },
  );
  dir = plant.dir;
  // The committed models, and a second regression version (same graph) to canary.
  const v2 = join(dir, "models", REG, "1.1.0");
  cpSync(join(dir, "models", REG, "1.0.0"), v2, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(v2, "manifest.json"), "utf8"));
  writeFileSync(join(v2, "manifest.json"), JSON.stringify({ ...manifest, version: "1.1.0" }));

  // The processors' control port is chosen first: the server is told where to relay.
  const controlPort = await freePort();
  c = await openConsole({
    env: {
      ...plant.env,
      UNS_PROCESSORS_URL: `http://127.0.0.1:${controlPort}`,
      // The machine these tests run on is shared: parsing the contracts can take a while.
      UNS_CONTRACTS_LOAD_TIMEOUT_MS: "120000",
    },
  });
  server = c.server;
  processors = spawn(process.execPath, [PROCESSORS], {
    env: {
      ...process.env,
      UNS_PROC_MQTT_URL: server.mqttUrl,
      // The model registry is kept in the server's store, which the Models page reads.
      UNS_PROC_REGISTRY_URL: server.httpUrl,
      UNS_PROC_MQTT_USERNAME: "processor",
      UNS_PROC_MQTT_PASSWORD: PASSWORD,
      UNS_PROC_HTTP_PORT: String(controlPort),
      UNS_PROC_CONTRACTS_DIR: join(dir, "asyncapi"),
      UNS_PROC_MODELS_DIR: join(dir, "models"),
      UNS_PROC_DATA_DIR: join(dir, "processors"),
      UNS_PROC_CHECK_GATE_ENABLED: "false",
      UNS_PROC_WORKERS_SIZE: "1",
      // The conflict case needs these processors' view to stay stale until the admin acts.
      UNS_PROC_REGISTRY_REFRESH_MS: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [processors.stdout!, processors.stderr!])
    stream.on("data", (chunk: Buffer) => processorLog.push(chunk.toString()));
  // Started with the newest version (1.1.0); the test begins from 1.0.0 live, as a plant would.
  await eventually(
    () => regression().catch(() => undefined),
    (m) => m?.serving?.live === "1.1.0",
    120_000,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\nprocessors: ${processorLog.join("").slice(-2000)}`);
  });
  const res = await fetch(`${server.httpUrl}/api/v1/models/${REG}/deploy`, {
    method: "POST",
    headers: { authorization: basicAuth("admin"), "content-type": "application/json" },
    body: JSON.stringify({ version: "1.0.0", mode: "live", reason: "test starts from 1.0.0" }),
  });
  expect(res.status).toBe(200);
}, 300_000);

afterAll(async () => {
  if (processors && processors.exitCode === null) {
    const exited = new Promise((resolve) => processors!.once("exit", resolve));
    processors.kill("SIGTERM");
    await exited;
  }
  await c?.close();
  plant?.remove();
}, 120_000);

/** The fixture's page (logged in as admin), or a new context's for the viewer. */
async function openAs(user: "admin" | "viewer"): Promise<Page> {
  let p = c.page;
  if (user !== "admin") {
    const context = await c.browser.newContext({
      viewport: { width: 1440, height: 900 },
      baseURL: server.httpUrl,
    });
    await logInContext(context, user);
    p = await context.newPage();
  }
  await p.goto("/models");
  await p.getByTestId(`model-${REG}`).waitFor({ timeout: 30_000 });
  return p;
}

const row = (version: string) => page.getByTestId(`model-${REG}`).locator("tr", { hasText: version }).first();

describe("Models page", { timeout: 180_000 }, () => {
  it("starts a canary, promotes it and rolls back, each after a confirmation, recorded with who did it", async () => {
    page = await openAs("admin");
    const actions = page.getByTestId(`model-actions-${REG}`);
    const dialogs: string[] = [];
    let answer = true;
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void (answer ? d.accept() : d.dismiss());
    });

    // A dismissed confirmation changes nothing.
    answer = false;
    const before = (await regression()).history.length;
    await actions.getByRole("button", { name: "Roll back" }).click();
    expect(dialogs.at(-1)).toMatch(/Roll rsw-nugget-regression back from 1\.0\.0/);
    expect((await regression()).history.length).toBe(before);
    answer = true;

    // Canary 1.1.0 with 25 % of spots.
    await actions.getByRole("textbox").fill("console e2e");
    await row("1.1.0").getByLabel("canary share for 1.1.0").selectOption("25");
    await row("1.1.0").getByRole("button", { name: "Canary" }).click();
    expect(dialogs.at(-1)).toMatch(/Send 25 % of spots to rsw-nugget-regression 1\.1\.0 as a canary/);
    await row("1.1.0").getByText("canary 25 %").waitFor();
    let m = await eventually(regression, (r) => r.history.at(-1)?.action === "deploy-canary");
    expect(m.serving?.canary).toEqual({ version: "1.1.0", share: 0.25 });
    expect(m.history.at(-1)).toMatchObject({
      action: "deploy-canary",
      version: "1.1.0",
      reason: "console e2e",
      by: "admin",
    });

    // Promote it.
    await actions.getByRole("button", { name: "Promote canary" }).click();
    expect(dialogs.at(-1)).toMatch(/Promote canary rsw-nugget-regression 1\.1\.0 to live/);
    await eventually(
      regression,
      (r) => r.serving?.live === "1.1.0" && r.serving.canary === null && r.live === "1.1.0",
    );
    await expect.poll(() => row("1.1.0").locator("td").nth(1).textContent()).toBe("live");
    await c.shot("models-promoted");
    // Issue 13, item 6: the versions table and its actions fit at 1,440 px.
    const fit = await c.cutOff("models");
    expect(fit.problems).toEqual([]);
    expect(fit.tables).toBeGreaterThanOrEqual(1);

    // Roll back to 1.0.0.
    await actions.getByRole("button", { name: "Roll back" }).click();
    expect(dialogs.at(-1)).toMatch(/Roll rsw-nugget-regression back from 1\.1\.0/);
    m = await eventually(regression, (r) => r.serving?.live === "1.0.0" && r.live === "1.0.0");
    expect(m.history.at(-1)).toMatchObject({ action: "rollback-live", version: "1.0.0", by: "admin" });
    await expect.poll(() => row("1.0.0").locator("td").nth(1).textContent()).toBe("live");
    // The history on the page says who did it.
    const section = page.getByRole("region", { name: REG });
    await section.getByText(/^History/).click();
    await section.getByText(/rollback-live 1\.0\.0 by admin: console e2e/).waitFor();
    expect(dialogs).toHaveLength(4);
  });

  it("says the registry is in step, and shows a change another host made first as refused, then follows the store", async () => {
    page = await openAs("admin");
    const sync = page.getByTestId("registry-sync");
    await expect
      .poll(() => sync.textContent())
      .toMatch(/^Model registry: in step with the store; last sync /);
    expect(await sync.textContent()).not.toMatch(/refused/);

    // Another processors host puts 1.1.0 in shadow, straight in the store; these processors do not know.
    const internal = `${server.httpUrl}/api/v1/internal/model-registry`;
    const asProcessor = { authorization: basicAuth("processor") };
    const records = (await (await fetch(internal, { headers: asProcessor })).json()) as {
      name: string;
      revision: number;
      live: string | null;
    }[];
    const stored = records.find((r) => r.name === REG)!;
    const other = await fetch(internal, {
      method: "POST",
      headers: { ...asProcessor, "content-type": "application/json" },
      body: JSON.stringify({
        changes: [
          {
            id: "console-e2e-other-host",
            name: REG,
            at: new Date().toISOString(),
            action: "deploy-shadow",
            version: "1.1.0",
            previous: stored.live,
            reason: "other host",
            by: "processors",
            deployment: { live: stored.live, canary: null, shadow: "1.1.0" },
            revision: stored.revision + 1,
          },
        ],
      }),
    });
    expect(other.status).toBe(200);

    // The admin's canary is made on the stale view: refused, said on the page, not recorded.
    page.removeAllListeners("dialog");
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId(`model-actions-${REG}`).getByRole("textbox").fill("console e2e conflict");
    await row("1.1.0").getByLabel("canary share for 1.1.0").selectOption("25");
    await row("1.1.0").getByRole("button", { name: "Canary" }).click();
    await page
      .getByTestId(`model-actions-${REG}`)
      .getByText(/refused this deploy-canary of rsw-nugget-regression: it was made on a stale view/)
      .waitFor({ timeout: 30_000 });
    await expect
      .poll(() => sync.textContent(), { timeout: 30_000 })
      .toMatch(/1 stale change\(s\) refused by the store/);
    const m = await eventually(
      regression,
      (r) => r.serving?.canary === null && r.history.at(-1)?.reason === "other host",
    );
    expect(m.history.map((h) => h.reason)).not.toContain("console e2e conflict");
    expect(m.live).toBe(stored.live);
  });

  it("shows a viewer the models without the buttons", async () => {
    const viewer = await openAs("viewer");
    await expect.poll(() => viewer.getByTestId(`model-${REG}`).locator("tr").count()).toBeGreaterThan(2);
    expect(await viewer.getByRole("button", { name: "Roll back" }).count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Canary" }).count()).toBe(0);
    await viewer.context().close();
  });
});
