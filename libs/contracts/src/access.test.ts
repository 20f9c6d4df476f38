import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Access, addUser, type Identity, loadAccess, parseAccess } from "./access.js";
import type { Diagnostic } from "./diagnostics.js";
import { UnsError } from "./errors.js";

const ACCESS = `# roles for the test plant
anonymous: viewer
roles:
  device:
    publish: ["acme/#", "spBv1.0/#", "devices/{clientid}/#"]
    subscribe: ["acme/+/+/+/+/+/commands/#", "users/{username}/inbox"]
  viewer: { subscribe: ["#", "$uns/violations/#"], api: read }
  admin: { publish: ["#"], subscribe: ["#", "$uns/#", "$SYS/#"], api: admin }
`;

const id = (roles: string[], username: string | null = "dev1", clientId = "client-1"): Identity => ({
  username,
  clientId,
  roles,
});

let dir: string;
let access: Access;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "uns-access-"));
  writeFileSync(join(dir, "access.yaml"), ACCESS);
  writeFileSync(
    join(dir, "users.yaml"),
    "# people and machines\nusers:\n  # the boss\n  alice: { roles: [admin], password: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }\n",
  );
  await addUser(dir, "dev1", "dev-secret", ["device"]);
  await addUser(dir, "alice", "alice-secret", ["admin", "viewer"]);
  access = loadAccess(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("users and authentication", () => {
  it("authenticates with the scrypt hash from addUser", async () => {
    expect(await access.authenticate("dev1", "dev-secret")).toEqual({
      ok: true,
      user: { username: "dev1", roles: ["device"] },
    });
    expect(await access.authenticate("dev1", Buffer.from("dev-secret"))).toMatchObject({ ok: true });
    expect(await access.authenticate("dev1", "nope")).toEqual({ ok: false, reason: "wrong-password" });
    expect(await access.authenticate("dev1", null)).toEqual({ ok: false, reason: "missing-password" });
    expect(await access.authenticate("mallory", "x")).toEqual({ ok: false, reason: "unknown-user" });
  });

  it("replaces a user and keeps comments and other users in users.yaml", async () => {
    const text = readFileSync(join(dir, "users.yaml"), "utf8");
    expect(text).toContain("# people and machines");
    expect(text).toContain("# the boss");
    expect(text).toMatch(/alice: \{ roles: \[ admin, viewer \], password: /);
    expect(await access.authenticate("alice", "alice-secret")).toMatchObject({
      ok: true,
      user: { roles: ["admin", "viewer"] },
    });
  });

  it("lists users without password hashes", () => {
    const users = access.users();
    expect(users).toEqual([
      { username: "alice", roles: ["admin", "viewer"] },
      { username: "dev1", roles: ["device"] },
    ]);
    expect(JSON.stringify(users)).not.toContain("scrypt");
  });

  it("refuses bad usernames, unknown roles and empty passwords in addUser", async () => {
    await expect(addUser(dir, "a/b", "x", ["device"])).rejects.toMatchObject({
      code: "UNS_ERR_ACCESS_BAD_USERNAME",
    });
    await expect(addUser(dir, "bob", "x", ["wizard"])).rejects.toMatchObject({
      code: "UNS_ERR_ACCESS_UNKNOWN_ROLE",
    });
    await expect(addUser(dir, "bob", "", ["device"])).rejects.toMatchObject({
      code: "UNS_ERR_ACCESS_BAD_PASSWORD",
    });
  });

  it("creates users.yaml when missing, and a missing users.yaml means no users", async () => {
    const d = mkdtempSync(join(tmpdir(), "uns-access-"));
    try {
      writeFileSync(join(d, "access.yaml"), ACCESS);
      expect(loadAccess(d).users()).toEqual([]);
      await addUser(d, "carol", "pw", ["viewer"]);
      expect(loadAccess(d).users()).toEqual([{ username: "carol", roles: ["viewer"] }]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe("roles", () => {
  it("exposes role names, rules, the anonymous role and API access", () => {
    expect(access.roles()).toEqual(["admin", "device", "viewer"]);
    expect(access.role("viewer")).toEqual({
      publish: [],
      subscribe: ["#", "$uns/violations/#"],
      api: "read",
    });
    expect(access.role("toString")).toBeUndefined();
    expect(access.anonymousRole).toBe("viewer");
    expect(access.apiAccess(id(["viewer"]))).toBe("read");
    expect(access.apiAccess(id(["viewer", "admin"]))).toBe("admin");
    expect(access.apiAccess(id(["device"]))).toBeNull();
    expect(parseAccess("roles: {}", "a.yaml", null, "u.yaml").anonymousRole).toBeNull();
  });
});

describe("canPublish", () => {
  it("matches the role's publish filters", () => {
    expect(access.canPublish(id(["device"]), "acme/neckarsulm/x")).toBe(true);
    expect(access.canPublish(id(["device"]), "spBv1.0/acme/NDATA/e1")).toBe(true);
    expect(access.canPublish(id(["device"]), "other/x")).toBe(false);
    expect(access.canPublish(id(["viewer"]), "acme/x")).toBe(false);
    expect(access.canPublish(id([]), "acme/x")).toBe(false);
    expect(access.canPublish(id(["no-such-role"]), "acme/x")).toBe(false);
  });

  it("never lets # match $ topics [MQTT-4.7.2-1]", () => {
    expect(access.canPublish(id(["admin"]), "anything/at/all")).toBe(true);
    expect(access.canPublish(id(["admin"]), "$SYS/broker")).toBe(false);
    expect(access.canPublish(id(["admin"]), "$uns/violations/x")).toBe(false);
  });

  it("substitutes {clientid} and refuses values that would act as wildcards", () => {
    expect(access.canPublish(id(["device"], "dev1", "press-7"), "devices/press-7/status")).toBe(true);
    expect(access.canPublish(id(["device"], "dev1", "press-7"), "devices/press-8/status")).toBe(false);
    expect(access.canPublish(id(["device"], "dev1", "+"), "devices/press-8/status")).toBe(false);
    expect(access.canPublish(id(["device"], "dev1", "#"), "devices/#/status")).toBe(false);
    expect(access.canPublish(id(["device"], "dev1", "a/b"), "devices/a/b/status")).toBe(false);
  });

  it("refuses topic names with wildcards", () => {
    expect(access.canPublish(id(["admin"]), "acme/+")).toBe(false);
  });
});

describe("canSubscribe", () => {
  it("allows a filter only when an allowed pattern covers it", () => {
    const device = id(["device"]);
    expect(access.canSubscribe(device, "acme/s/a/l/c/r/commands/#")).toBe(true);
    expect(access.canSubscribe(device, "acme/s/a/+/c/r/commands/stop")).toBe(true);
    expect(access.canSubscribe(device, "acme/#")).toBe(false);
    expect(access.canSubscribe(device, "acme/s/a/l/c/r/#")).toBe(false);
  });

  it("keeps $ topics out of # and + subscriptions, but allows explicit $ patterns", () => {
    const viewer = id(["viewer"]);
    expect(access.canSubscribe(viewer, "#")).toBe(true);
    expect(access.canSubscribe(viewer, "$SYS/#")).toBe(false);
    expect(access.canSubscribe(viewer, "$uns/violations/acme/#")).toBe(true);
    expect(access.canSubscribe(viewer, "$uns/quarantine/#")).toBe(false);
    expect(access.canSubscribe(id(["admin"]), "$SYS/broker/uptime")).toBe(true);
  });

  it("substitutes {username}; an anonymous client gets nothing from such a pattern", () => {
    expect(access.canSubscribe(id(["device"], "dev1"), "users/dev1/inbox")).toBe(true);
    expect(access.canSubscribe(id(["device"], "dev1"), "users/dev2/inbox")).toBe(false);
    expect(access.canSubscribe(id(["device"], "dev1"), "users/+/inbox")).toBe(false);
    expect(access.canSubscribe(id(["device"], null), "users//inbox")).toBe(false);
  });

  it("checks shared subscriptions on the inner filter, and refuses invalid filters", () => {
    expect(access.canSubscribe(id(["viewer"]), "$share/group/acme/#")).toBe(true);
    expect(access.canSubscribe(id(["device"]), "$share/group/other/#")).toBe(false);
    expect(access.canSubscribe(id(["admin"]), "acme/#/x")).toBe(false);
    expect(access.canSubscribe(id(["admin"]), "")).toBe(false);
  });

  it("caches per identity: another identity is decided on its own", () => {
    const a = id(["device"], "u1", "c1");
    const b = id(["device"], "u2", "c1");
    expect(access.canSubscribe(a, "users/u1/inbox")).toBe(true);
    expect(access.canSubscribe(b, "users/u1/inbox")).toBe(false);
    expect(access.canSubscribe(a, "users/u1/inbox")).toBe(true);
  });
});

describe("access.yaml and users.yaml diagnostics", () => {
  function diagnosticsOf(fn: () => unknown): Diagnostic[] {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsError);
      return ((e as UnsError).details as { diagnostics: Diagnostic[] }).diagnostics;
    }
    throw new Error("expected an error");
  }

  it("points at bad filters, unknown keys, placeholders and roles with lines", () => {
    const d = diagnosticsOf(() =>
      parseAccess(
        `anonymous: guest
roles:
  a:
    publish: ["x/#/y", "{user}/x"]
    subscribe: "acme/#"
    api: write
    colour: red
`,
        "topics/access.yaml",
        "users:\n  bob: { roles: [nope], password: 'plain' }\n  'a b': { roles: [a], password: x }\n",
        "topics/users.yaml",
      ),
    );
    const at = (path: string) => d.find((x) => x.path === path);
    expect(at("$.anonymous")).toMatchObject({ line: 1, code: "UNS_ERR_ACCESS_UNKNOWN_ROLE" });
    expect(at("$.roles.a.publish[0]")).toMatchObject({
      line: 4,
      message: expect.stringContaining("MQTT-4.7.1-2"),
    });
    expect(at("$.roles.a.publish[1]")!.message).toContain("{user}");
    expect(at("$.roles.a.subscribe")).toMatchObject({ line: 5 });
    expect(at("$.roles.a.api")).toMatchObject({ line: 6 });
    expect(at("$.roles.a.colour")).toMatchObject({ line: 7 });
    expect(at("$.users.bob.password")).toMatchObject({
      file: "topics/users.yaml",
      line: 2,
      code: "UNS_ERR_ACCESS_BAD_PASSWORD",
    });
    expect(at('$.users["a b"]')).toMatchObject({ line: 3, code: "UNS_ERR_ACCESS_BAD_USERNAME" });
  });

  it("reports unknown roles of users", async () => {
    const hash = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const d = diagnosticsOf(() =>
      parseAccess(
        "roles: { a: {} }",
        "a.yaml",
        `users:\n  bob: { roles: [a, b], password: '${hash}' }\n`,
        "u.yaml",
      ),
    );
    expect(d).toEqual([
      expect.objectContaining({ path: "$.users.bob.roles[1]", code: "UNS_ERR_ACCESS_UNKNOWN_ROLE", line: 2 }),
    ]);
  });

  it("throws UNS_ERR_ACCESS_READ when access.yaml is missing", () => {
    expect(() => loadAccess("/nonexistent-dir")).toThrow(
      expect.objectContaining({ code: "UNS_ERR_ACCESS_READ" }),
    );
  });
});
