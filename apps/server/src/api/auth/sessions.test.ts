import { describe, expect, it } from "vitest";
import { createSessionStore } from "./sessions.js";

describe("createSessionStore", () => {
  it("when full, drops expired sessions first, then the least recently used", () => {
    const store = createSessionStore({ ttlMs: 1000, maxSessions: 3 });
    const a = store.create("a", ["viewer"], 0);
    const b = store.create("b", ["viewer"], 500);
    const c = store.create("c", ["viewer"], 600);
    // At 1200 a has expired: the next login takes its place, b and c stay.
    const d = store.create("d", ["viewer"], 1200);
    expect(store.get(a.id, 1200)).toBeUndefined();
    expect(store.size()).toBe(3);
    // b is used now, so c is the least recently used one when the store is full again.
    expect(store.get(b.id, 1300)?.username).toBe("b");
    store.create("e", ["viewer"], 1400);
    expect(store.get(c.id, 1400)).toBeUndefined();
    expect(store.get(b.id, 1400)?.username).toBe("b");
    expect(store.get(d.id, 1400)?.username).toBe("d");
  });

  it("revokes one session or all of a user's", () => {
    const store = createSessionStore({ ttlMs: 60_000 });
    const one = store.create("ann", ["admin"]);
    store.create("ann", ["admin"]);
    const bob = store.create("bob", ["viewer"]);
    expect(store.revoke(one.id)).toBe(true);
    expect(store.revokeUser("ann")).toBe(1);
    expect(store.get(bob.id)?.username).toBe("bob");
    expect(store.size()).toBe(1);
  });
});
