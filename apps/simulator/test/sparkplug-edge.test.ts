import { createServer, type Server } from "node:net";
import { decodeSparkplug, encodeSparkplug } from "@uns/sparkplug";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSparkplugEdgeNode } from "../src/sparkplug-edge.js";

// The demo's Sparkplug edge node against a bare aedes broker on a real socket, its messages
// decoded with @uns/sparkplug: the birth sequence, seq numbering, a rebirth on NCMD, the NDEATH.
let broker: Aedes;
let server: Server;
let url: string;

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  url = `mqtt://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
});

type Seen = {
  type: string;
  seq: number | undefined;
  metrics: Record<string, unknown>;
  timestamps: unknown[];
};

describe("Sparkplug edge node of the demo", () => {
  it("births, sends data with increasing seq, rebirths on NCMD and dies with the bdSeq of its birth", async () => {
    const host = await mqtt.connectAsync(url, { clientId: "host" });
    const seen: Seen[] = [];
    host.on("message", (topic, payload) => {
      if (topic.includes("/NCMD/")) return; // its own command
      const r = decodeSparkplug(payload);
      if (!r.ok) throw new Error(`${topic} does not decode`);
      const p = r.payload as unknown as {
        seq?: number;
        metrics?: { name?: string; value: unknown; timestamp?: unknown }[];
      };
      seen.push({
        type: topic.split("/")[2]! + (topic.split("/")[4] ? `:${topic.split("/")[4]}` : ""),
        seq: p.seq === undefined ? undefined : Number(p.seq),
        metrics: Object.fromEntries((p.metrics ?? []).map((m) => [m.name, m.value])),
        timestamps: (p.metrics ?? []).map((m) => m.timestamp),
      });
      if (
        seen.filter((s) => s.type.startsWith("NDATA")).length === 2 &&
        !seen.some((s) => s.type === "sent-ncmd")
      ) {
        seen.push({ type: "sent-ncmd", seq: undefined, metrics: {}, timestamps: [] });
        const rebirth = { name: "Node Control/Rebirth", type: "Boolean", value: true };
        void host.publishAsync(
          "spBv1.0/Plant1/NCMD/Welder01",
          Buffer.from(encodeSparkplug({ timestamp: Date.now(), metrics: [rebirth] })),
        );
      }
    });
    await host.subscribeAsync("spBv1.0/#");
    const abort = new AbortController();
    const summary = await runSparkplugEdgeNode({
      url,
      username: "Welder01",
      password: "x",
      intervalMs: 20,
      rounds: 6,
      signal: abort.signal,
    });
    await new Promise((r) => setTimeout(r, 100));
    await host.endAsync();

    const types = seen.map((s) => s.type);
    expect(types.slice(0, 3)).toEqual(["NBIRTH", "DBIRTH:Gun1", "DBIRTH:Gun2"]);
    expect(seen[0]!.seq).toBe(0);
    const bdSeq = Number(seen[0]!.metrics.bdSeq);
    expect(seen[0]!.metrics["Node Control/Rebirth"]).toBe(false);
    // seq counts every message after the NBIRTH: 0, 1, 2, 3, ...
    const firstRun = seen.slice(0, 9).filter((s) => s.type !== "sent-ncmd");
    expect(firstRun.map((s) => s.seq)).toEqual(firstRun.map((_, i) => i));
    // The NCMD started a new birth sequence at seq 0.
    const rebirth = seen.findIndex((s, i) => i > 0 && s.type === "NBIRTH");
    expect(rebirth).toBeGreaterThan(0);
    expect(seen[rebirth]!.seq).toBe(0);
    expect(summary.births).toBe(2);
    const death = seen.at(-1)!;
    expect(death.type).toBe("NDEATH");
    expect(Number(death.metrics.bdSeq)).toBe(bdSeq);
    expect(
      seen.some((s) => s.type === "DDATA:Gun1" && typeof s.metrics["Spot/CurrentRMS_kA"] === "number"),
    ).toBe(true);
  });
});
