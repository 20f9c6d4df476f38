import { describe, expect, it } from "vitest";
import { fitStart, partialBucket } from "./time-fit";

const b = (t: string, n = 0) => ({ t, valid: n, invalid: 0, unvalidated: 0, ungoverned: 0 });

describe("time views", () => {
  it("marks the last bucket partial while the clock is inside it", () => {
    const pts = [b("2026-12-01T10:00:00Z", 5), b("2026-12-01T10:05:00Z", 1)];
    expect(partialBucket(pts, 300, Date.parse("2026-12-01T10:07:00Z"))).toBe(1);
    expect(partialBucket(pts, 300, Date.parse("2026-12-01T10:10:00Z"))).toBeNull();
    expect(partialBucket([], 300, 0)).toBeNull();
  });

  it("fits a mostly empty window to the data, and leaves a filled one alone", () => {
    const fresh = [...Array.from({ length: 58 }, (_, i) => b(`t${i}`)), b("t58", 3), b("t59", 9)];
    expect(fitStart(fresh)).toEqual({ index: 57, fitted: true });
    const full = Array.from({ length: 60 }, (_, i) => b(`t${i}`, i % 3));
    expect(fitStart(full)).toEqual({ index: 0, fitted: false });
    expect(fitStart([b("a"), b("b")])).toEqual({ index: 0, fitted: false });
  });
});
