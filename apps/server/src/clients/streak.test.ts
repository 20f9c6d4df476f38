import { describe, expect, it } from "vitest";
import { nonCompliantSince } from "./streak.js";

const p = (t: string, valid: number, invalid: number) => ({ t, valid, invalid });

describe("nonCompliantSince", () => {
  it("is null for a compliant or silent publisher", () => {
    expect(nonCompliantSince([])).toBeNull();
    expect(nonCompliantSince([p("a", 0, 3), p("b", 4, 0)])).toBeNull();
    expect(nonCompliantSince([p("a", 0, 0)])).toBeNull();
  });

  it("is the first bucket of the current failing streak, skipping silent buckets", () => {
    expect(nonCompliantSince([p("a", 5, 0), p("b", 0, 1), p("c", 0, 0), p("d", 0, 2)])).toBe("b");
  });

  it("stops at a bucket that held valid messages too (the streak began in it)", () => {
    expect(nonCompliantSince([p("a", 0, 1), p("b", 3, 1), p("c", 0, 2), p("d", 0, 0)])).toBe("b");
  });
});
