import type { Access, AuthResult } from "@uns/contracts";
import { describe, expect, it } from "vitest";
import { createLoginCache } from "./login-cache.js";

/** Access rules with users and one password; counts the password checks it is asked for. */
function fakeAccess(password: string, roles = ["device"], users = ["dev"]) {
  const calls: string[] = [];
  const access = {
    async authenticate(username: string, pw: string): Promise<AuthResult> {
      calls.push(`${username}:${pw}`);
      await new Promise((r) => setTimeout(r, 5));
      if (!users.includes(username)) return { ok: false, reason: "unknown-user" };
      if (pw !== password) return { ok: false, reason: "wrong-password" };
      return { ok: true, user: { username, roles: [...roles] } };
    },
  } as unknown as Access;
  return { access, calls };
}

describe("MQTT login cache", () => {
  it("checks a password once, then answers the same user and password from the cache", async () => {
    const cache = createLoginCache({ ttlMs: 60_000, maxEntries: 100 });
    const { access, calls } = fakeAccess("right");
    const first = await cache.authenticate(access, "dev", "right");
    const second = await cache.authenticate(access, "dev", "right");
    expect(first).toEqual({ ok: true, user: { username: "dev", roles: ["device"] } });
    expect(second).toEqual(first);
    expect(calls).toEqual(["dev:right"]);
    // Each caller gets its own roles: one client's identity cannot change another's.
    if (first.ok && second.ok) expect(first.user.roles).not.toBe(second.user.roles);
  });

  it("never keeps a failure: every wrong password or unknown user is checked again", async () => {
    const cache = createLoginCache({ ttlMs: 60_000, maxEntries: 100 });
    const { access, calls } = fakeAccess("right");
    for (let i = 0; i < 3; i++) {
      expect(await cache.authenticate(access, "dev", "wrong")).toEqual({
        ok: false,
        reason: "wrong-password",
      });
      expect(await cache.authenticate(access, "nobody", "right")).toMatchObject({ ok: false });
    }
    expect(calls).toHaveLength(6);
    expect(cache.size).toBe(0);
    // A success of the right password does not let a wrong one in.
    await cache.authenticate(access, "dev", "right");
    expect(await cache.authenticate(access, "dev", "wrong")).toMatchObject({ ok: false });
    expect(await cache.authenticate(access, "dev", "righ")).toMatchObject({ ok: false });
    expect(cache.size).toBe(1);
  });

  it("forgets everything when the access rules are reloaded: a changed password is refused", async () => {
    const cache = createLoginCache({ ttlMs: 60_000, maxEntries: 100 });
    const before = fakeAccess("old-password");
    expect(await cache.authenticate(before.access, "dev", "old-password")).toMatchObject({ ok: true });
    const after = fakeAccess("new-password", ["viewer"]);
    expect(await cache.authenticate(after.access, "dev", "old-password")).toEqual({
      ok: false,
      reason: "wrong-password",
    });
    expect(await cache.authenticate(after.access, "dev", "new-password")).toEqual({
      ok: true,
      user: { username: "dev", roles: ["viewer"] },
    });
    expect(after.calls).toEqual(["dev:old-password", "dev:new-password"]);
  });

  it("checks again once a success is older than the TTL", async () => {
    let now = 1_000_000;
    const cache = createLoginCache({ ttlMs: 600_000, maxEntries: 100, now: () => now });
    const { access, calls } = fakeAccess("right");
    await cache.authenticate(access, "dev", "right");
    now += 599_000;
    await cache.authenticate(access, "dev", "right");
    expect(calls).toHaveLength(1);
    now += 2_000;
    await cache.authenticate(access, "dev", "right");
    expect(calls).toHaveLength(2);
  });

  it("shares one check among identical CONNECTs arriving together, and keeps at most maxEntries", async () => {
    const cache = createLoginCache({ ttlMs: 60_000, maxEntries: 2 });
    const { access, calls } = fakeAccess("right");
    const results = await Promise.all(
      Array.from({ length: 50 }, () => cache.authenticate(access, "dev", "right")),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls).toHaveLength(1);
    const wrong = await Promise.all(
      Array.from({ length: 5 }, () => cache.authenticate(access, "dev", "bad")),
    );
    expect(wrong.every((r) => !r.ok)).toBe(true);
    expect(cache.size).toBe(1);
    // Three users succeed: the oldest is let go, the two newest are answered from the cache.
    const many = fakeAccess("x", ["device"], ["a", "b", "c"]);
    for (const u of ["a", "b", "c"]) await cache.authenticate(many.access, u, "x");
    expect(cache.size).toBe(2);
    for (const u of ["b", "c", "a"]) await cache.authenticate(many.access, u, "x");
    expect(many.calls).toEqual(["a:x", "b:x", "c:x", "a:x"]);
  });
});
