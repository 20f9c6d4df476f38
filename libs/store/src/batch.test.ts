import { describe, expect, it } from "vitest";
import { Accumulator, type Batch, mergeBatches } from "./batch.js";
import type { MessageOutcome } from "./types.js";

const minute = Date.UTC(2026, 0, 1, 8, 0);

function outcome(i: number): MessageOutcome {
  const invalid = i % 7 === 0;
  return {
    time: minute + i * 1000,
    clientId: `cell-${i % 3}`,
    username: i % 2 ? "gateway" : null,
    topic: `acme/plant-a/body-shop/line-01/cell-0${i % 4}/weld-spot`,
    channel: i % 5 === 0 ? null : "weldSpot",
    contract: { file: "weld.yaml", version: "1.0.0", title: "Weld" },
    outcome: invalid ? "invalid" : i % 5 === 0 ? "ungoverned" : i % 11 === 0 ? "unvalidated" : "valid",
    ...(invalid
      ? { kind: "schema", errors: [{ instancePath: "/x", keyword: "type", message: "must be number" }] }
      : {}),
    payload: new TextEncoder().encode(`{"i":${i}}`),
    payloadSize: 8,
    policy: i % 2 ? "monitor" : "enforce",
  };
}

/** Rows in a stable order, without the batch's id and times. */
function rows(b: Batch | null) {
  if (!b) return null;
  const by = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, c) => key(a).localeCompare(key(c)));
  return {
    outcomes: b.outcomes,
    counts: by(b.counts, (c) => `${c.minute}/${c.topic}/${c.channel}/${c.clientId}`),
    publishers: by(b.publishers, (p) => p.clientId),
    violations: by(b.violations, (v) => `${v.time}/${v.topic}`),
    lastMessages: by(b.lastMessages, (l) => l.topic).map((l) => ({
      ...l,
      payload: Buffer.from(l.payload).toString(),
    })),
  };
}

describe("Accumulator.merge", () => {
  it("gives the same batch as adding every outcome on one accumulator", () => {
    const all = Array.from({ length: 200 }, (_, i) => outcome(i));
    const direct = new Accumulator(1024);
    for (const o of all) direct.add(o, minute);

    // Three "workers" each count a third, cut per batch of 17, and the main one merges the cuts.
    const main = new Accumulator(1024);
    const workers = [new Accumulator(1024), new Accumulator(1024), new Accumulator(1024)];
    all.forEach((o, i) => {
      const w = workers[i % 3]!;
      w.add(o, minute);
      if (i % 17 === 16) {
        const cut = w.cut(minute);
        if (cut) main.merge(cut, minute);
      }
    });
    for (const w of workers) {
      const cut = w.cut(minute);
      if (cut) main.merge(cut, minute);
    }
    expect(main.outcomes).toBe(200);
    expect(rows(main.cut(minute))).toEqual(rows(direct.cut(minute)));
  });

  it("keeps the newest last message per topic whatever the order batches arrive in", () => {
    const a = new Accumulator(1024);
    const b = new Accumulator(1024);
    const newer = { ...outcome(1), time: minute + 5000, payload: new TextEncoder().encode("new") };
    const older = { ...outcome(1), time: minute + 1000, payload: new TextEncoder().encode("old") };
    a.add(newer, minute);
    b.add(older, minute);
    const main = new Accumulator(1024);
    main.merge(a.cut(minute)!, minute);
    main.merge(b.cut(minute)!, minute);
    const last = main.cut(minute)!.lastMessages;
    expect(last).toHaveLength(1);
    expect(Buffer.from(last[0]!.payload).toString()).toBe("new");
  });
});

describe("mergeBatches", () => {
  it("gives the rows of one accumulator over all of them and carries every batch's id", () => {
    const all = Array.from({ length: 90 }, (_, i) => outcome(i));
    const direct = new Accumulator(1024);
    for (const o of all) direct.add(o, minute);
    const parts: Batch[] = [];
    const acc = new Accumulator(1024);
    all.forEach((o, i) => {
      acc.add(o, minute);
      if (i % 30 === 29) parts.push(acc.cut(minute)!);
    });
    const merged = mergeBatches(parts, 1024);
    expect(merged.mergedIds).toEqual(parts.map((p) => p.id));
    expect(parts.map((p) => p.id)).not.toContain(merged.id);
    expect(rows(merged)).toEqual(rows(direct.cut(minute)));
  });

  it("leaves a single batch as it is", () => {
    const acc = new Accumulator(1024);
    acc.add(outcome(1), minute);
    const one = acc.cut(minute)!;
    expect(mergeBatches([one], 1024)).toBe(one);
  });
});
