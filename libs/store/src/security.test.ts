import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThreadedStore } from "./threaded-store.js";
import type { Store } from "./types.js";

// Through the worker thread, as the server uses it: the methods must cross the thread protocol.
const dir = mkdtempSync(join(tmpdir(), "uns-security-store-"));
let store: Store;
beforeAll(async () => {
  store = await createThreadedStore({ dataDir: dir });
}, 60_000);
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("API tokens and audit log in the store", () => {
  it("finds a live token by its hash, never after revocation or expiry", async () => {
    const t = await store.createApiToken({ name: "ci", username: "alice", hash: "h1", createdBy: "admin" });
    expect(t).toMatchObject({ name: "ci", username: "alice", revokedAt: null });
    expect(t).not.toHaveProperty("hash");
    const used = await store.useApiToken("h1");
    expect(used?.id).toBe(t.id);
    expect(used?.lastUsedAt).not.toBeNull();
    expect(await store.useApiToken("nope")).toBeNull();
    expect(await store.revokeApiToken(t.id)).toBe(true);
    expect(await store.revokeApiToken(t.id)).toBe(false);
    expect(await store.useApiToken("h1")).toBeNull();

    await store.createApiToken({
      name: "old",
      username: "bob",
      hash: "h2",
      createdBy: "admin",
      expiresAt: new Date(Date.now() - 1000),
    });
    expect(await store.useApiToken("h2")).toBeNull();
    await store.createApiToken({ name: "b", username: "bob", hash: "h3", createdBy: "admin" });
    expect(await store.revokeUserTokens("bob")).toBe(2);
    expect((await store.listApiTokens()).map((x) => x.name)).toEqual(["b", "old", "ci"]);
  });

  it("keeps audit entries newest first, filtered by actor and action prefix", async () => {
    for (const [actor, action] of [
      ["admin", "user.add"],
      ["admin", "token.create"],
      ["eve", "login.failed"],
    ] as const) {
      await store.appendAudit({
        actor,
        address: "127.0.0.1",
        action,
        target: "x",
        outcome: "ok",
        details: { n: 1 },
      });
    }
    const all = await store.listAudit();
    expect(all.map((e) => e.action)).toEqual(["login.failed", "token.create", "user.add"]);
    expect(all[0]).toMatchObject({ actor: "eve", address: "127.0.0.1", details: { n: 1 } });
    expect((await store.listAudit({ actor: "admin" })).length).toBe(2);
    expect((await store.listAudit({ action: "user." })).map((e) => e.action)).toEqual(["user.add"]);
    expect((await store.listAudit({ action: "user_" })).length).toBe(0);
    expect((await store.listAudit({ before: all[1]!.id })).map((e) => e.action)).toEqual(["user.add"]);
  });
});
