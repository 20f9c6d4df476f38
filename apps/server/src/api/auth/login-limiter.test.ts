import { describe, expect, it } from "vitest";
import { createLoginLimiter } from "./login-limiter.js";

const make = () =>
  createLoginLimiter({
    userFreeAttempts: 2,
    addressFreeAttempts: 4,
    baseDelayMs: 1000,
    maxDelayMs: 5000,
    forgetAfterMs: 60_000,
    maxEntries: 10,
  });

describe("login limiter", () => {
  it("lets the free attempts through, then doubles the wait up to the ceiling", () => {
    const l = make();
    l.failed("bob", null, 0);
    expect(l.retryAfterMs("bob", null, 0)).toBe(0);
    l.failed("bob", null, 0);
    expect(l.retryAfterMs("bob", null, 0)).toBe(1000);
    expect(l.retryAfterMs("bob", null, 1000)).toBe(0);
    l.failed("bob", null, 1000);
    expect(l.retryAfterMs("bob", null, 1000)).toBe(2000);
    for (let i = 0; i < 5; i++) l.failed("bob", null, 10_000);
    expect(l.retryAfterMs("bob", null, 10_000)).toBe(5000);
    expect(l.locked(10_000)).toEqual([
      { kind: "user", key: "bob", failures: 8, lockedUntil: new Date(15_000).toISOString() },
    ]);
  });

  it("limits an address across user names; a success clears the user, not the address", () => {
    const l = make();
    for (const u of ["a", "b", "c", "d"]) l.failed(u, "10.0.0.9", 0);
    expect(l.retryAfterMs("e", "10.0.0.9", 0)).toBe(1000);
    expect(l.retryAfterMs("e", "10.0.0.8", 0)).toBe(0);
    l.failed("bob", null, 0);
    l.failed("bob", null, 0);
    expect(l.isLocked("bob", 0)).toBe(true);
    l.succeeded("bob");
    expect(l.isLocked("bob", 0)).toBe(false);
    l.succeeded("a");
    expect(l.retryAfterMs(null, "10.0.0.9", 0)).toBe(1000);
  });

  it("forgets old failures and keeps at most maxEntries keys", () => {
    const l = make();
    l.failed("bob", null, 0);
    l.failed("bob", null, 100_000);
    expect(l.isLocked("bob", 100_000)).toBe(false); // the first failure was forgotten
    for (let i = 0; i < 50; i++) l.failed(`u${i}`, null, 0);
    expect(l.locked(0).length).toBe(0);
    l.failed("u49", null, 0);
    expect(l.isLocked("u49", 0)).toBe(true);
    expect(l.isLocked("u0", 0)).toBe(false);
  });
});
