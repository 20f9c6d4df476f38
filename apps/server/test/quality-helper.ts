import { appendFileSync, cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "@uns/contracts";
import type { SettingKey } from "../src/config.js";
import { PASSWORD, startTestServer, type TestServer } from "./helper.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
export const LINE1 = "acme/neckarsulm/body-shop/line-01";
export const LINE2 = "acme/neckarsulm/body-shop/line-02";

/**
 * A real server with the repository's own contracts and topic tree (the plant's channels), and
 * the given alert rules in topics/alerts.yaml.
 */
export async function startPlantServer(
  rules: string,
  overrides: Partial<Record<SettingKey, unknown>> = {},
): Promise<TestServer> {
  return startTestServer(
    { "quality.flushIntervalMs": 200, "alerts.evaluateIntervalMs": 100, ...overrides },
    async (dir) => {
      rmSync(join(dir, "asyncapi"), { recursive: true, force: true });
      cpSync(join(REPO, "asyncapi"), join(dir, "asyncapi"), { recursive: true });
      for (const f of ["tree.yaml", "access.yaml", "sparkplug.yaml"])
        cpSync(join(REPO, "topics", f), join(dir, "topics", f));
      // The test users include `restricted`; the plant's access rules do not know it.
      appendFileSync(
        join(dir, "topics", "access.yaml"),
        '  restricted:\n    subscribe: ["acme/+/+/+/state"]\n',
      );
      writeFileSync(join(dir, "topics", "alerts.yaml"), rules);
      // The shipped roles bind a device to its own cell; the test's "device" speaks for every
      // line and cell, as a PLC gateway does.
      await addUser(join(dir, "topics"), "device", PASSWORD, ["gateway"], { replace: true });
    },
  );
}

export const iso = (t = Date.now()) => new Date(t).toISOString();

export function lineState(state: string, reason: string | null = null) {
  return JSON.stringify({
    line: "line-01",
    state,
    reason,
    since: iso(),
    speed: 60,
    plannedCycleTime: 60,
    time: iso(),
  });
}

export function lineCounts(total: number, good: number, shift = "2026-03-02-a", ict = 60) {
  return JSON.stringify({
    line: "line-01",
    shift,
    shiftStart: iso(Date.now() - 3600_000),
    total,
    good,
    bad: total - good,
    plannedTime: 3600,
    runTime: 3000,
    idealCycleTime: ict,
    time: iso(),
  });
}

export async function post<T = unknown>(
  s: TestServer,
  path: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  // As "viewer": acting on alerts needs the read role only (operators are not admins).
  const res = await s.request<T>("POST", path, body, "viewer");
  return { status: res.status, body: res.body };
}
