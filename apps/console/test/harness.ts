/**
 * Real things for the console's end-to-end tests and its benchmark: the compiled UNS server as a
 * child process (on free loopback ports, with a temporary copy of the server's test fixtures and
 * users), Debian's Chromium driven by playwright-core, and MQTT.js clients. `openConsole` is the
 * setup every e2e file shares: server, browser, a logged-in page, screenshots, page errors.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// The server from its TypeScript sources (tsx, "source" condition): the code the other tests run.
export const SERVER_MAIN = here("../../server/src/main.ts");
export const FIXTURES = here("../../server/test/fixtures/");
export const CONSOLE_DIST = here("../dist/index.html");
export const PASSWORD = "console-test-password-1";
export const CHROMIUM = process.env.UNS_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const REPO = here("../../../");
/** Where the e2e tests' screenshots go (committed copies: test/screenshots/). */
export const SHOTS = here("../test-results/screenshots/");

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

export interface ConsoleOptions {
  /** The server's environment (UNS_*), added to startServer's defaults. */
  env?: Record<string, string>;
  /** Default 1,440 x 900: the width the console is checked at. */
  viewport?: { width: number; height: number };
  /** The page is logged in as this user (default admin); null: not logged in. */
  user?: string | null;
  context?: BrowserContextOptions;
  /** Put before every screenshot's name. */
  shotPrefix?: string;
  /** Count console errors, and API replies of 400 and more, as page errors too. */
  consoleErrors?: boolean;
  apiErrors?: boolean;
  /** Accept every confirm() the page asks. */
  acceptDialogs?: boolean;
}

export interface ConsoleFixture {
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** What went wrong in the page: uncaught errors (and what `ConsoleOptions` adds). */
  errors: string[];
  /** A full-page screenshot into SHOTS. */
  shot(name: string, options?: { page?: Page; fullPage?: boolean }): Promise<void>;
  /** `cutOffColumns` of the page shown, with a screenshot `cut-off-<name>` when any. */
  cutOff(name: string): Promise<{ problems: string[]; tables: number }>;
  /** One message from a fresh client that then disconnects; objects are sent as JSON. */
  publish(
    topic: string,
    payload: unknown,
    options?: { user?: string; clientId?: string; retain?: boolean },
  ): Promise<void>;
  close(): Promise<void>;
}

/** The setup of a console e2e file: the server, Chromium and a logged-in page at 1,440 px. */
export async function openConsole(o: ConsoleOptions = {}): Promise<ConsoleFixture> {
  mkdirSync(SHOTS, { recursive: true });
  const server = await startServer({ UNS_WORKERS_SIZE: "1", ...o.env });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const context = await browser.newContext({
      viewport: o.viewport ?? { width: 1440, height: 900 },
      baseURL: server.httpUrl,
      ...o.context,
    });
    if (o.user !== null) await logInContext(context, o.user ?? "admin");
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    if (o.consoleErrors)
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
    if (o.apiErrors)
      page.on("response", async (r) => {
        if (r.url().includes("/api/") && r.status() >= 400)
          errors.push(`${r.request().method()} ${r.url()}: ${r.status()} ${await r.text().catch(() => "")}`);
      });
    if (o.acceptDialogs) page.on("dialog", (d) => void d.accept());
    const b = browser;
    const shot = (name: string, s: { page?: Page; fullPage?: boolean } = {}) =>
      (s.page ?? page)
        .screenshot({ path: `${SHOTS}${o.shotPrefix ?? ""}${name}.png`, fullPage: s.fullPage ?? true })
        .then(() => {});
    return {
      server,
      browser: b,
      context,
      page,
      errors,
      shot,
      async cutOff(name) {
        const r = await cutOffColumns(page);
        if (r.problems.length) await shot(`cut-off-${name}`);
        return r;
      },
      async publish(topic, payload, p = {}) {
        const c = await server.connect(p.user ?? "device", p.clientId);
        const body =
          typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
        await c.publishAsync(topic, body, { qos: 1, retain: p.retain ?? false });
        await c.endAsync();
      },
      async close() {
        await context.close().catch(() => {});
        await b.close();
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.stop();
    throw err;
  }
}

/**
 * A copy of the repository's contracts and topic tree (the demonstration plant) with these users
 * (name, role), for the tests of the quality, splatter and model pages. `env` points the server at it.
 */
export async function repoPlant(
  users: readonly (readonly [string, string])[],
  options: { models?: boolean } = {},
): Promise<{ dir: string; env: Record<string, string>; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "uns-plant-"));
  cpSync(join(REPO, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  mkdirSync(join(dir, "topics"));
  for (const f of ["tree.yaml", "access.yaml", "sparkplug.yaml"])
    cpSync(join(REPO, "topics", f), join(dir, "topics", f));
  // No alert rules: a test raises the alerts it checks.
  writeFileSync(join(dir, "topics", "alerts.yaml"), "rules: []\n");
  for (const [name, role] of users) await addUser(join(dir, "topics"), name, PASSWORD, [role]);
  if (options.models) cpSync(join(REPO, "models"), join(dir, "models"), { recursive: true });
  return {
    dir,
    env: { UNS_CONTRACTS_DIR: join(dir, "asyncapi"), UNS_TOPICS_DIR: join(dir, "topics") },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Tables whose content is wider than their box, and header cells outside it or hidden: what a
 * user at this width cannot read without scrolling sideways. Also a page wider than the window.
 */
export function cutOffColumns(p: Page): Promise<{ problems: string[]; tables: number }> {
  return p.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth + 1) out.push(`page is ${doc.scrollWidth} px wide`);
    document.querySelectorAll("table").forEach((t, i) => {
      const box = (t.closest(".table-wrap") ?? t.parentElement) as HTMLElement;
      const name = `table ${i} (${t.querySelector("th")?.textContent?.trim() ?? "?"})`;
      if (t.scrollWidth > box.clientWidth + 1)
        out.push(`${name}: ${t.scrollWidth} px in a ${box.clientWidth} px box`);
      const b = box.getBoundingClientRect();
      for (const th of t.querySelectorAll("thead th")) {
        const r = th.getBoundingClientRect();
        if (r.width === 0 || r.right > Math.min(b.right, window.innerWidth) + 1 || r.left < b.left - 1)
          out.push(`${name}: header "${th.textContent?.trim()}" is cut off`);
      }
    });
    return { problems: out, tables: document.querySelectorAll("table").length };
  });
}
