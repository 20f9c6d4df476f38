import { createPlant, createTraffic } from "@uns/simulator";
import type { MqttClient } from "mqtt";

export interface SimSpot {
  topic: string;
  payload: Buffer;
  truthTopic: string;
  truth: Buffer;
  key: string;
}

/** Weld spots with their truth from the simulator (fixed seed and clock: repeatable). */
export function makeSpots(count: number, seed = "proc-test"): SimSpot[] {
  const traffic = createTraffic(createPlant(), {
    seed,
    startTime: Date.parse("2026-03-02T06:00:00Z"),
    channels: ["weldSpot", "weldSpotTruth"],
  });
  const out: SimSpot[] = [];
  let last: { topic: string; payload: Buffer; key: string } | null = null;
  while (out.length < count) {
    const m = traffic.next();
    if (m.channel === "weldSpot") {
      const p = JSON.parse(m.payload.toString());
      last = { topic: m.topic, payload: m.payload, key: `${p.source.controller}/${p.seq}` };
    } else if (m.channel === "weldSpotTruth" && last) {
      out.push({ ...last, truthTopic: m.topic, truth: m.payload });
      last = null;
    }
  }
  return out;
}

export async function publishSpots(
  client: MqttClient,
  spots: readonly SimSpot[],
  truth = true,
): Promise<void> {
  for (let i = 0; i < spots.length; i += 50) {
    await Promise.all(
      spots
        .slice(i, i + 50)
        .flatMap((s) => [
          client.publishAsync(s.topic, s.payload, { qos: 1 }),
          ...(truth ? [client.publishAsync(s.truthTopic, s.truth, { qos: 1 })] : []),
        ]),
    );
  }
}
