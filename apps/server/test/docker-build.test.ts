/**
 * The image's build steps without a Docker engine: docker/build.sh (what the Dockerfile runs) in
 * a clean copy of the repository, then the built server started from that copy and checked with
 * the image's own health check. Slow (a full install and build): minutes, not seconds.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "uns-image-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("docker image build steps", () => {
  it("keeps .git, data and users.yaml out of the build context", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of [".git", "data", "topics/users.yaml", "**/node_modules"])
      expect(ignore).toContain(entry);
    const dockerfile = readFileSync(join(ROOT, "docker/Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^RUN sh docker\/build\.sh$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain("docker/healthcheck.mjs");
  });

  it("build.sh installs, builds and prunes in a clean copy; the result starts and passes the health check", async () => {
    // The build context: the files git tracks (none of what .dockerignore lists is tracked).
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
      .split("\0")
      .filter(Boolean);
    for (const f of files) {
      if (!existsSync(join(ROOT, f))) continue;
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      cpSync(join(ROOT, f), join(dir, f));
    }
    execFileSync("sh", ["docker/build.sh"], { cwd: dir, stdio: "pipe", env: { ...process.env, CI: "" } });
    expect(existsSync(join(dir, "apps/server/dist/main.js"))).toBe(true);
    expect(existsSync(join(dir, "apps/console/dist/index.html"))).toBe(true);
    // Pruned: dev tools are gone, runtime dependencies stay.
    expect(existsSync(join(dir, "node_modules/vitest"))).toBe(false);
    expect(existsSync(join(dir, "apps/server/node_modules/fastify"))).toBe(true);

    const env = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      UNS_DATA_DIR: join(dir, "data"),
      UNS_MQTT_PORT: "0",
      UNS_HTTP_PORT: "0",
      UNS_MQTT_HOST: "127.0.0.1",
      UNS_HTTP_HOST: "127.0.0.1",
      UNS_WORKERS_SIZE: "1",
    };
    const child = spawn(process.execPath, ["apps/server/dist/main.js"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`not ready:\n${out}`)), 90_000);
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const line = out.split("\n").find((l) => l.includes("UNS server ready"));
          if (line) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { httpPort: number }).httpPort);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      const health = execFileSync(process.execPath, ["docker/healthcheck.mjs"], {
        cwd: dir,
        env: { ...env, UNS_HTTP_PORT: String(port) },
      });
      expect(health.toString()).toBe("");
    } finally {
      child.kill("SIGTERM");
    }
  }, 600_000);
});
