import { EventEmitter } from "node:events";
import type { Aedes, Client } from "aedes";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClientRegistry } from "./client-registry.js";

/** The registry only listens to aedes' events: an emitter stands in for the broker, a fake clock for time. */
function setup() {
  vi.useFakeTimers();
  const broker = new EventEmitter();
  const registry = createClientRegistry({
    identityOf: () => ({ username: "u", roles: [] }),
    historySize: 10,
    rateWindowMs: 10_000,
    now: () => Date.now(),
  });
  registry.attach(broker as unknown as Aedes);
  const client = { id: "c1", conn: {} } as unknown as Client;
  broker.emit("client", client);
  const publish = (n: number) => {
    for (let i = 0; i < n; i++) broker.emit("publish", { topic: "t" }, client);
  };
  return { registry, publish, samples: () => registry.list()[0]! };
}

describe("client registry rates", () => {
  beforeEach(() => vi.setSystemTime(1_000_000));
  afterEach(() => vi.useRealTimers());

  it("is 0 for an idle client and the rate over the window for a busy one", () => {
    const { registry, publish, samples } = setup();
    vi.advanceTimersByTime(30_000);
    expect(samples().inPerSecond).toBe(0);
    // 20 messages a second for 15 s: the 10 s window holds 200 of them.
    for (let s = 0; s < 15; s++) {
      publish(20);
      vi.advanceTimersByTime(1000);
    }
    expect(samples().messagesIn).toBe(300);
    expect(samples().inPerSecond).toBeCloseTo(20, 5);
    registry.stop();
  });

  it("falls back to 0 once the window has passed without messages", () => {
    const { registry, publish, samples } = setup();
    for (let s = 0; s < 5; s++) {
      publish(10);
      vi.advanceTimersByTime(1000);
    }
    vi.advanceTimersByTime(5000);
    // 50 messages in the last 10 s.
    expect(samples().inPerSecond).toBeCloseTo(5, 5);
    vi.advanceTimersByTime(6000);
    expect(samples().inPerSecond).toBe(0);
    registry.stop();
  });
});
