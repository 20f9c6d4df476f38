import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureGovernance } from "../../../test/helper.js";
import { accessError } from "./access.js";

describe("step 2: access", () => {
  let g: Awaited<ReturnType<typeof fixtureGovernance>>;
  beforeAll(async () => {
    g = await fixtureGovernance();
  });
  afterAll(() => g?.close());

  it("allows what the roles allow", () => {
    const device = { username: "d", clientId: "c", roles: ["device"] };
    expect(
      accessError(g.current.access, device, "acme/plant-a/body-shop/line-01/cell-01/weld-spot"),
    ).toBeNull();
  });
  it("refuses the rest, naming the user, the roles and the topic", () => {
    const restricted = { username: "r1", clientId: "c", roles: ["restricted"] };
    const e = accessError(g.current.access, restricted, "acme/plant-a/body-shop/line-01/cell-01/weld-spot");
    expect(e).toMatchObject({ keyword: "acl" });
    expect(e?.message).toBe(
      "r1 (roles: restricted) may not publish to acme/plant-a/body-shop/line-01/cell-01/weld-spot",
    );
    const nobody = accessError(g.current.access, { username: null, clientId: "c", roles: [] }, "acme/x");
    expect(nobody?.message).toMatch(/^anonymous \(roles: none\)/);
  });
});
