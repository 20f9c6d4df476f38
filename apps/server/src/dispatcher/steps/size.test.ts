import { describe, expect, it } from "vitest";
import { sizeJudgement } from "./size.js";

describe("step 5: size", () => {
  it("passes payloads up to the limit", () => {
    expect(sizeJudgement(0, 10)).toBeNull();
    expect(sizeJudgement(10, 10)).toBeNull();
  });
  it("judges a larger one too-large, with both sizes in the message", () => {
    expect(sizeJudgement(11, 10)).toEqual({
      outcome: "invalid",
      kind: "too-large",
      errors: [
        {
          instancePath: "",
          keyword: "maxPayloadBytes",
          message: "payload is 11 bytes; at most 10 are accepted for validation",
        },
      ],
    });
  });
});
