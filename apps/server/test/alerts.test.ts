// An alert through its whole ISA-18.2 lifecycle on a real server: messages over MQTT, actions over
// HTTP, every action stored, hysteresis, a stale action refused, suppression in planned downtime,
// device alarms in the same list, and a broken rules file that keeps the last good rules.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AlertActionRecord, AlertRecord } from "@uns/store";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, eventually, type TestServer } from "./helper.js";
import { iso, LINE1, LINE2, lineCounts, lineState, post, startPlantServer } from "./quality-helper.js";

const RULES = `rules:
  - id: line-quality-low
    title: Quality ratio below 80 %
    metric: quality
    below: 0.8
    clearAt: 0.9
    window: 10m
    minCount: 10
    severity: warning
`;

type Detail = { alert: AlertRecord; actions: AlertActionRecord[] };

describe("alerts", () => {
  let s: TestServer;
  let device: MqttClient;
  let got: { topic: string; payload: Buffer }[];
  beforeAll(async () => {
    s = await startPlantServer(RULES);
    device = await s.connect("device");
    const viewer = await s.connect("viewer");
    await viewer.subscribeAsync("acme/alerts");
    got = collect(viewer);
  });
  afterAll(async () => {
    await s?.close();
  });

  const alertsOf = async (q = "") =>
    (await s.api<{ alerts: AlertRecord[] }>(`/api/v1/alerts${q}`)).body.alerts;
  const detail = async (id: number) => (await s.api<Detail>(`/api/v1/alerts/${id}`)).body;
  const act = (id: number, body: object) =>
    post<{ alert: AlertRecord; error?: { code: string; message: string } }>(
      s,
      `/api/v1/alerts/${id}/actions`,
      body,
    );
  const counts = (total: number, good: number, line = LINE1) =>
    device.publishAsync(`${line}/counts`, lineCounts(total, good));

  it("raises within 2 s, refuses a stale action, and returns to normal only past the hysteresis", async () => {
    await device.publishAsync(`${LINE1}/state`, lineState("running"));
    await counts(0, 0); // baseline
    await eventually(
      () => s.server.quality.kpi.lines(),
      (l) => l.includes(LINE1),
    );
    const t0 = Date.now();
    await counts(20, 12); // 60 % over 20 parts
    const raised = await eventually(
      () => got.map((m) => JSON.parse(m.payload.toString())),
      (m) => m.some((x) => x.action === "raise"),
      5000,
    );
    const latency = Date.now() - t0;
    expect(latency).toBeLessThan(2000);
    const first = raised.find((x) => x.action === "raise");
    expect(first).toMatchObject({
      ruleId: "line-quality-low",
      source: LINE1,
      state: "active-unacknowledged",
      version: 1,
    });
    expect(first.value).toBeCloseTo(0.6, 10);
    const id = first.id as number;

    // Acknowledge, then an action decided on the old version is refused with a conflict.
    const ack = await act(id, { action: "ack", version: 1, actor: "viewer" });
    expect(ack.status).toBe(200);
    expect(ack.body.alert).toMatchObject({ state: "active-acknowledged", ackedBy: "viewer", version: 2 });
    const stale = await act(id, { action: "assign", version: 1, assignee: "jonas", actor: "peter" });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe("UNS_ERR_ALERT_CONFLICT");
    expect(stale.body.error?.message).toMatch(/version 2 .*version 1/);

    expect(
      (await act(id, { action: "assign", version: 2, assignee: "jonas", actor: "viewer" })).body.alert,
    ).toMatchObject({ assignee: "jonas", version: 3 });
    expect(
      // The body's `actor` is ignored: the logged-in user (here "viewer") is who acts.
      (await act(id, { action: "comment", version: 3, comment: "tip dresser checked", actor: "jonas" }))
        .status,
    ).toBe(200);
    // A person cannot clear an alert whose condition is still active.
    const early = await act(id, { action: "clear", version: 4, actor: "jonas" });
    expect(early.status).toBe(409);
    expect(early.body.error?.code).toBe("UNS_ERR_ALERT_TRANSITION");

    // 50 good of 60 = 83 %: above the threshold but below clearAt (90 %) -> still active.
    await counts(60, 50);
    await new Promise((r) => setTimeout(r, 600));
    expect((await detail(id)).alert.state).toBe("active-acknowledged");
    // 110 of 120 = 92 %: back to normal; acknowledged already, so it clears.
    await counts(120, 110);
    const cleared = await eventually(
      () => detail(id),
      (d) => d.alert.state === "cleared",
    );
    expect(cleared.alert.clearedBy).toBe("system");
    expect(cleared.actions.map((a) => [a.action, a.actor, a.fromState, a.toState])).toEqual([
      ["raise", "system", null, "active-unacknowledged"],
      ["ack", "viewer", "active-unacknowledged", "active-acknowledged"],
      ["assign", "viewer", "active-acknowledged", "active-acknowledged"],
      ["comment", "viewer", "active-acknowledged", "active-acknowledged"],
      ["return", "system", "active-acknowledged", "cleared"],
    ]);
    expect(cleared.actions[3]!.comment).toBe("tip dresser checked");
    expect(cleared.actions[2]!.details).toEqual({ assignee: "jonas" });
    // Every change went out on the governed alerts topic, and it was valid against its contract.
    await eventually(
      () => got.length,
      (n) => n >= 5,
    );
    const totals = await eventually(
      () =>
        s
          .api<{ valid: number; invalid: number }>("/api/v1/compliance/totals?channel=unsAlert")
          .then((r) => r.body),
      (t) => t.valid >= 5,
    );
    expect(totals.invalid).toBe(0);
  });

  it("returned-unacknowledged is cleared by a person; one open alert per rule and source", async () => {
    await counts(220, 150); // window: 220 produced, 150 good = 68 %
    const [a] = await eventually(
      () => alertsOf("?state=open"),
      (l) => l.length === 1,
    );
    expect(a!.state).toBe("active-unacknowledged");
    await counts(400, 330); // 330 / 400 = 82.5 % < clearAt: stays
    await counts(1000, 930); // 93 %
    const rtn = await eventually(
      () => detail(a!.id),
      (d) => d.alert.state === "returned-unacknowledged",
    );
    expect((await alertsOf("?state=open")).length).toBe(1);
    const cleared = await act(a!.id, { action: "clear", version: rtn.alert.version, actor: "viewer" });
    expect(cleared.body.alert).toMatchObject({ state: "cleared", clearedBy: "viewer" });
    expect(await alertsOf("?state=open")).toEqual([]);
  });

  it("is suppressed while the line is in planned downtime", async () => {
    await device.publishAsync(`${LINE2}/state`, lineState("maintenance", "planned tip change"));
    await counts(0, 0, LINE2);
    await counts(50, 10, LINE2);
    await eventually(
      () => s.server.quality.alerts.stats().suppressed,
      (n) => n > 0,
      3000,
    );
    expect((await alertsOf(`?scope=${LINE2}`)).length).toBe(0);
  });

  it("shows the plant's own alarms in the same list, raised and returned", async () => {
    const alarm = (state: "raised" | "cleared") =>
      JSON.stringify({
        alarmId: "line-01-tip-dress-failed-000007",
        source: { cell: "cell-020", device: "cell-020-r01-g01" },
        severity: "warning",
        code: "TIP-DRESS-FAILED",
        text: "Tip dresser did not cut",
        state,
        raisedAt: iso(),
        clearedAt: state === "cleared" ? iso() : null,
        time: iso(),
      });
    await device.publishAsync(`${LINE1}/alarms`, alarm("raised"));
    const [a] = await eventually(
      () => alertsOf("?state=open"),
      (l) => l.length === 1,
    );
    expect(a).toMatchObject({
      origin: "device",
      ruleId: "device.tip-dress-failed",
      source: `${LINE1}/cell-020/cell-020-r01-g01`,
    });
    await device.publishAsync(`${LINE1}/alarms`, alarm("cleared"));
    await eventually(
      () => detail(a!.id),
      (d) => d.alert.state === "returned-unacknowledged",
    );
  });

  it("a broken rules file keeps the last good rules and says where it is wrong", async () => {
    writeFileSync(
      join(s.dir, "topics", "alerts.yaml"),
      `${RULES}  - id: broken\n    metric: qualty\n    below: 0.5\n`,
    );
    const r = await eventually(
      () =>
        s.api<{ rules: { id: string }[]; problems: string[] }>("/api/v1/alerts/rules").then((x) => x.body),
      (b) => b.problems.length > 0,
    );
    expect(r.rules.map((x) => x.id)).toEqual(["line-quality-low"]);
    expect(r.problems[0]).toMatch(
      /^topics\/alerts\.yaml:11:13 \$\.rules\[1\]\.metric: metric must be one of/,
    );
  });
});
