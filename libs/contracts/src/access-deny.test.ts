import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addUser, loadAccess, parseAccess } from "./access.js";
import { removeUser, setUserPassword, setUserRoles } from "./users-file.js";

const ACCESS = `
roles:
  device:
    publish: ["acme/#", "spBv1.0/#"]
    subscribe: ["acme/#"]
    deny:
      publish: ["spBv1.0/STATE/#", "acme/+/secret/#"]
      subscribe: ["acme/+/secret/#", "acme/{username}/private/#"]
  viewer:
    subscribe: ["#"]
    api: read
`;
const access = parseAccess(ACCESS, "access.yaml", null, "users.yaml");
const dev = { username: "dev1", clientId: "c1", roles: ["device"] };

describe("deny rules", () => {
  it("refuse a publish that a broader grant allows", () => {
    expect(access.canPublish(dev, "acme/a/line/state")).toBe(true);
    expect(access.canPublish(dev, "acme/a/secret/x")).toBe(false);
    expect(access.canPublish(dev, "spBv1.0/g1/NDATA/n1")).toBe(true);
    expect(access.canPublish(dev, "spBv1.0/STATE/host-1")).toBe(false);
  });

  it("refuse a subscription whose filter could receive a denied topic", () => {
    expect(access.canSubscribe(dev, "acme/a/line/#")).toBe(true);
    expect(access.canSubscribe(dev, "acme/a/secret/x")).toBe(false);
    // acme/# would also deliver acme/<x>/secret/...: refused as a whole.
    expect(access.canSubscribe(dev, "acme/#")).toBe(false);
    expect(access.canSubscribe(dev, "acme/+/+/state")).toBe(false);
    expect(access.canSubscribe(dev, "acme/dev1/private/x")).toBe(false);
    expect(access.canSubscribe({ ...dev, username: "dev2" }, "acme/dev1/private/x")).toBe(true);
  });

  it("win over another role's grant", () => {
    const both = { ...dev, roles: ["viewer", "device"] };
    expect(access.canSubscribe(both, "acme/a/secret/x")).toBe(false);
    expect(access.canSubscribe(both, "other/#")).toBe(true);
  });

  it("report a bad deny section with its place", () => {
    expect(() =>
      parseAccess(
        "roles:\n  r:\n    deny:\n      publish: ['a/#/b']\n      write: []\n",
        "access.yaml",
        null,
        "u",
      ),
    ).toThrow(/access\.yaml:5:7 .*unknown key "write"[\s\S]*access\.yaml:4:17 .*not a valid MQTT filter/);
  });
});

describe("user file edits", () => {
  const dir = mkdtempSync(join(tmpdir(), "uns-users-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "access.yaml"), ACCESS);
  writeFileSync(join(dir, "users.yaml"), "# kept comment\nusers: {}\n");

  it("refuses to replace a user unless told to, changes roles and password, removes", async () => {
    await addUser(dir, "bob", "first-password", ["device"], { replace: false });
    await expect(addUser(dir, "bob", "other-password", ["viewer"], { replace: false })).rejects.toMatchObject(
      {
        code: "UNS_ERR_ACCESS_USER_EXISTS",
      },
    );
    expect((await loadAccess(dir).authenticate("bob", "first-password")).ok).toBe(true);

    await setUserRoles(dir, "bob", ["viewer"]);
    expect(loadAccess(dir).users()).toEqual([{ username: "bob", roles: ["viewer"] }]);
    await expect(setUserRoles(dir, "bob", ["wizard"])).rejects.toMatchObject({
      code: "UNS_ERR_ACCESS_UNKNOWN_ROLE",
    });

    await setUserPassword(dir, "bob", "second-password");
    const a = loadAccess(dir);
    expect((await a.authenticate("bob", "first-password")).ok).toBe(false);
    expect((await a.authenticate("bob", "second-password")).ok).toBe(true);

    await removeUser(dir, "bob");
    expect(loadAccess(dir).users()).toEqual([]);
    await expect(removeUser(dir, "bob")).rejects.toMatchObject({ code: "UNS_ERR_ACCESS_NO_USER" });
    expect(readFileSync(join(dir, "users.yaml"), "utf8")).toContain("# kept comment");
    expect(statSync(join(dir, "users.yaml")).mode & 0o777).toBe(0o600);
  });

  it("takes about the same time for an unknown user as for a wrong or empty password", async () => {
    await addUser(dir, "carol", "carol-password", ["device"]);
    const a = loadAccess(dir);
    await a.authenticate("nobody", "x"); // first call computes the dummy hash
    const time = async (u: string, p: string) => {
      const t: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = performance.now();
        await a.authenticate(u, p);
        t.push(performance.now() - s);
      }
      return t.sort((x, y) => x - y)[2]!;
    };
    const wrong = await time("carol", "wrong-password");
    const unknown = await time("nobody", "wrong-password");
    const empty = await time("carol", "");
    expect(unknown / wrong).toBeGreaterThan(0.5);
    expect(unknown / wrong).toBeLessThan(2);
    expect(empty / wrong).toBeGreaterThan(0.5);
  });
});
