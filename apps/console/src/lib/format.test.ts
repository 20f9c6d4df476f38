import { describe, expect, it } from "vitest";
import {
  complianceRate,
  formatCompact,
  formatCount,
  formatRate,
  formatShare,
  formatTime,
  fromZonedInput,
  rateTone,
  toZonedInput,
  zoneAbbreviation,
  zoneOffsetMinutes,
} from "./format";

describe("formatTime", () => {
  it("shows the instant on the plant's clock and names the zone", () => {
    expect(formatTime("2026-11-22T10:00:00Z", "Europe/Berlin")).toBe("2026-11-22 11:00:00 CET");
    expect(formatTime("2026-07-01T10:00:00Z", "Europe/Berlin")).toBe("2026-07-01 12:00:00 CEST");
    expect(formatTime("2026-11-22T10:00:00Z", "UTC")).toBe("2026-11-22 10:00:00 UTC");
    expect(formatTime("2026-11-22T10:00:00Z", "America/Chicago")).toBe("2026-11-22 04:00:00 CST");
  });

  it("does not depend on the browser's zone: the date can change", () => {
    expect(formatTime("2026-11-22T23:30:00Z", "Asia/Tokyo", { zone: false })).toBe("2026-11-23 08:30:00");
    expect(formatTime("2026-11-22T23:30:00Z", "Asia/Kolkata")).toBe("2026-11-23 05:00:00 GMT+5:30");
  });

  it("shows midnight as 00, not 24", () => {
    expect(formatTime("2026-11-22T23:00:00Z", "Europe/Berlin", { zone: false })).toBe("2026-11-23 00:00:00");
  });

  it("leaves out seconds or today's date when asked", () => {
    const now = new Date("2026-11-22T15:00:00Z");
    expect(formatTime("2026-11-22T10:00:05Z", "Europe/Berlin", { seconds: false })).toBe(
      "2026-11-22 11:00 CET",
    );
    expect(formatTime("2026-11-22T10:00:05Z", "Europe/Berlin", { omitTodayDate: true, now })).toBe(
      "11:00:05 CET",
    );
    expect(formatTime("2026-11-21T10:00:05Z", "Europe/Berlin", { omitTodayDate: true, now })).toBe(
      "2026-11-21 11:00:05 CET",
    );
  });

  it("says so when the time is unreadable", () => {
    expect(formatTime("not a time", "UTC")).toBe("—");
  });
});

describe("zones", () => {
  it("names the zone and its offset at an instant (summer and winter time)", () => {
    expect(zoneAbbreviation("UTC")).toBe("UTC");
    expect(zoneAbbreviation("America/New_York", new Date("2026-01-15T12:00:00Z"))).toBe("EST");
    expect(zoneAbbreviation("America/New_York", new Date("2026-07-15T12:00:00Z"))).toBe("EDT");
    expect(zoneOffsetMinutes("Europe/Berlin", new Date("2026-01-15T12:00:00Z"))).toBe(60);
    expect(zoneOffsetMinutes("Europe/Berlin", new Date("2026-07-15T12:00:00Z"))).toBe(120);
    expect(zoneOffsetMinutes("America/Chicago", new Date("2026-01-15T12:00:00Z"))).toBe(-360);
  });

  it("reads a wall-clock time typed in the plant's zone as the right instant", () => {
    expect(fromZonedInput("2026-11-22T11:00", "Europe/Berlin")?.toISOString()).toBe(
      "2026-11-22T10:00:00.000Z",
    );
    expect(fromZonedInput("2026-07-01T12:00", "Europe/Berlin")?.toISOString()).toBe(
      "2026-07-01T10:00:00.000Z",
    );
    expect(fromZonedInput("2026-11-22T08:30:15", "Asia/Kolkata")?.toISOString()).toBe(
      "2026-11-22T03:00:15.000Z",
    );
    expect(fromZonedInput("garbage", "UTC")).toBeNull();
  });

  it("round-trips through the datetime-local input value", () => {
    for (const iso of ["2026-03-29T00:30:00.000Z", "2026-10-25T03:30:00.000Z", "2026-06-01T21:45:00.000Z"]) {
      expect(fromZonedInput(toZonedInput(iso, "Europe/Berlin"), "Europe/Berlin")?.toISOString()).toBe(iso);
    }
  });

  it("takes the earlier instant in the hour a clock change repeats, and moves a skipped time forward", () => {
    // 2026-10-25 02:30 happens twice in Berlin (CEST, then CET).
    expect(fromZonedInput("2026-10-25T02:30", "Europe/Berlin")?.toISOString()).toBe(
      "2026-10-25T00:30:00.000Z",
    );
    // 2026-03-29 02:30 does not exist in Berlin.
    const skipped = fromZonedInput("2026-03-29T02:30", "Europe/Berlin");
    expect(skipped?.toISOString()).toBe("2026-03-29T01:30:00.000Z"); // 03:30 CEST
  });
});

describe("compliance rate", () => {
  it("is valid / (valid + invalid) and undefined without validated messages", () => {
    expect(complianceRate({ valid: 3, invalid: 1 })).toBe(0.75);
    expect(complianceRate({ valid: 0, invalid: 0 })).toBeNull();
  });

  it("never reads 100 % with a failure, nor 0 % with a success", () => {
    expect(formatRate(1)).toBe("100 %");
    expect(formatRate(0.99996)).toBe("99.9 %");
    expect(formatRate(999_999 / 1_000_000)).toBe("99.9 %");
    expect(formatRate(0.0004)).toBe("<0.1 %");
    expect(formatRate(0)).toBe("0 %");
    expect(formatRate(0.5)).toBe("50.0 %");
    expect(formatRate(0.9876)).toBe("98.7 %");
    expect(formatRate(null)).toBe("n/a");
    expect(formatRate(Number.NaN)).toBe("n/a");
  });

  it("has a tone for colour: good from 99 %, warn from 95 %", () => {
    expect(rateTone(1)).toBe("good");
    expect(rateTone(0.99)).toBe("good");
    expect(rateTone(0.989)).toBe("warn");
    expect(rateTone(0.95)).toBe("warn");
    expect(rateTone(0.5)).toBe("bad");
    expect(rateTone(null)).toBe("none");
  });
});

describe("numbers", () => {
  it("groups digits and shortens big counts", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(null)).toBe("—");
    expect(formatCompact(9999)).toBe("9,999");
    expect(formatCompact(123_456)).toBe("123 k");
    expect(formatCompact(1_234_567)).toBe("1.2 M");
  });

  it("shows small shares as not zero", () => {
    expect(formatShare(0.125)).toBe("12.5 %");
    expect(formatShare(0.0001)).toBe("<0.1 %");
    expect(formatShare(0)).toBe("0.0 %");
  });
});
