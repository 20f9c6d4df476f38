import { describe, expect, it } from "vitest";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password.js";

describe("scrypt passwords", () => {
  it("round-trips and rejects a wrong password", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("correct horsE", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("verifies hashes with other parameters", async () => {
    const { scryptSync, randomBytes } = await import("node:crypto");
    const salt = randomBytes(16);
    const key = scryptSync("pw", salt, 64, { N: 1024, r: 4, p: 2 });
    const hash = `scrypt$1024$4$2$${salt.toString("base64")}$${key.toString("base64")}`;
    expect(await verifyPassword("pw", hash)).toBe(true);
  });

  it("refuses malformed or unsafe hashes instead of throwing", async () => {
    for (const bad of [
      "",
      "plain",
      "bcrypt$16384$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==",
      "scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==", // N not a power of two
      "scrypt$67108864$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==", // N too large
      "scrypt$16384$8$1$!!$aGFzaGhhc2hoYXNoaGFzaA==",
      "scrypt$16384$8$1$c2FsdHNhbHQ=",
    ]) {
      expect(parsePasswordHash(bad), bad).toBeUndefined();
      expect(await verifyPassword("pw", bad)).toBe(false);
    }
  });

  it("refuses an empty password", async () => {
    await expect(hashPassword("")).rejects.toMatchObject({ code: "UNS_ERR_ACCESS_BAD_PASSWORD" });
  });
});
