import { describe, expect, it } from "vitest";
import { csvCell, csvLine } from "./csv.js";

describe("csv", () => {
  it("quotes what RFC 4180 needs quoted and leaves the rest", () => {
    expect(csvLine(["a", 1, null, true, "b,c", 'say "hi"', "two\nlines"])).toBe(
      'a,1,,true,"b,c","say ""hi""","two\nlines"\r\n',
    );
  });

  it("defuses cells a spreadsheet would run as formulas, not negative numbers", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell(-3)).toBe("-3");
  });
});
