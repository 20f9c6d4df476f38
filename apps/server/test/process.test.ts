/**
 * The compiled server and CLI as an operator runs them: the first admin's password shown once on
 * the terminal but never in the JSON log, SIGTERM with a console stream and MQTT clients open,
 * configuration errors as plain text, and the user commands.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES } from "./helper.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), "uns-process-"));
  dirs.push(dir);
  cpSync(join(FIXTURES, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
  cpSync(join(FIXTURES, "topics"), join(dir, "topics"), { recursive: true });
  const env = {
    PATH: process.env.PATH ?? "",
    UNS_MQTT_PORT: "0",
    UNS_HTTP_PORT: "0",
    UNS_MQTT_HOST: "127.0.0.1",
    UNS_HTTP_HOST: "127.0.0.1",
    UNS_DATA_DIR: join(dir, "data"),
    UNS_CONTRACTS_DIR: join(dir, "asyncapi"),
    UNS_TOPICS_DIR: join(dir, "topics"),
    UNS_WORKERS_SIZE: "1",
  };
  return { dir, env };
}

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const ready = new Promise<{ httpPort: number; mqttPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c.toString();
      const line = stdout.split("\n").find((l) => l.includes("UNS server ready"));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}:\n${stdout}\n${stderr}`)));
  });
  return { child, ready, out: () => stdout, err: () => stderr };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

describe("the server process", () => {
  it("shows the first admin's password once as plain text, never in the log, and stops within 5 s on SIGTERM with a console stream and MQTT clients open", async () => {
    const { dir, env } = workspace();
    const s = start(env);
    const { httpPort, mqttPort } = await s.ready;
    const file = join(dir, "data", "initial-admin-password");
    const password = readFileSync(file, "utf8").trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(s.err()).toContain(`      ${password}\n`);
    const logLines = s.out().trim().split("\n");
    for (const l of logLines) expect(() => JSON.parse(l)).not.toThrow();
    expect(s.out()).not.toContain(password);
    expect(s.out()).toContain("created the first admin user");

    // A console tab: the event stream, logged in.
    const ctrl = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${httpPort}/api/v1/stream`, {
      signal: ctrl.signal,
      headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();
    const clients = await Promise.all(
      [1, 2, 3].map((i) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
          username: "admin",
          password,
          clientId: `c${i}`,
          reconnectPeriod: 0,
          protocolVersion: 4,
        }),
      ),
    );
    await clients[0]!.subscribeAsync("#");

    const t0 = Date.now();
    const exit = exited(s.child);
    s.child.kill("SIGTERM");
    const code = await exit;
    const took = Date.now() - t0;
    ctrl.abort();
    for (const c of clients) c.end(true);
    expect(code).toBe(0);
    expect(took).toBeLessThan(5000);
    expect(s.out()).toContain("UNS server stopped");
  }, 90_000);

  it("reports a bad UNS_LOG_LEVEL as a plain configuration error", () => {
    const { env } = workspace();
    const r = spawnSync(process.execPath, [MAIN], {
      env: { ...env, UNS_LOG_LEVEL: "loud" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^UNS_ERR_CONFIG_INVALID: invalid configuration:\n {2}- log\.level \(UNS_LOG_LEVEL\): "loud" is not valid; expected one of fatal/,
    );
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe("uns CLI", () => {
  const run = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8" });

  it("has help for every command, refuses to replace a user without --force and short passwords", () => {
    const { env } = workspace();
    const help = run(env, "--help");
    expect(help.status).toBe(0);
    for (const c of ["user", "token", "check", "config", "docs"]) expect(help.stdout).toContain(c);
    expect(run(env, "user", "passwd", "--help").stdout).toContain("--password");

    expect(run(env, "user", "add", "zoe", "--role", "viewer", "--password", "zoe-password-1").status).toBe(0);
    const again = run(env, "user", "add", "zoe", "--role", "admin", "--password", "zoe-password-2");
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("UNS_ERR_ACCESS_USER_EXISTS");
    expect(
      run(env, "user", "add", "zoe", "--role", "admin", "--password", "zoe-password-2", "--force").status,
    ).toBe(0);
    expect(run(env, "user", "list").stdout).toContain("zoe\tadmin");

    const weak = run(env, "user", "passwd", "zoe", "--password", "short");
    expect(weak.status).toBe(1);
    expect(weak.stderr).toContain("UNS_ERR_USER_PASSWORD_WEAK");
    const generated = run(env, "user", "passwd", "zoe");
    expect(generated.stdout).toMatch(/password of zoe changed: \S{12,}/);
    expect(run(env, "user", "roles", "zoe", "--role", "viewer,device").status).toBe(0);
    expect(run(env, "user", "list").stdout).toContain("zoe\tviewer,device");
    expect(run(env, "user", "roles", "zoe", "--role", "wizard").status).toBe(2);
    expect(run(env, "user", "remove", "zoe").status).toBe(0);
    expect(run(env, "user", "remove", "zoe").stderr).toContain("UNS_ERR_ACCESS_NO_USER");
    expect(run(env, "bogus").status).toBe(2);
  });
});
