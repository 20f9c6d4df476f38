// @vitest-environment happy-dom
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { JsonView } from "./json-view";

afterEach(cleanup);

describe("JsonView", () => {
  it("marks the failing field and numbers it like the error list", () => {
    const { container } = render(
      <JsonView
        value={{ spotId: "s-1", currentKA: 45.5, curve: [1, "x"], temp: 1 }}
        errors={[
          { instancePath: "/currentKA", keyword: "maximum" },
          { instancePath: "", keyword: "additionalProperties", params: { additionalProperty: "temp" } },
        ]}
        idPrefix="p"
        label="Payload"
      />,
    );
    const marks = [...container.querySelectorAll("mark")].map((m) => [
      m.getAttribute("data-path"),
      m.textContent,
    ]);
    expect(marks).toEqual([
      ["/currentKA", '"currentKA"'],
      ["/currentKA", "45.5"],
      ["/temp", '"temp"'],
      ["/temp", "1"],
    ]);
    expect(container.querySelector("#p-err-1")?.closest(".jl")?.getAttribute("data-path")).toBe("/currentKA");
    expect(container.querySelector("#p-err-2")?.closest(".jl")?.getAttribute("data-path")).toBe("/temp");
    expect(container.querySelectorAll(".jl-hit")).toHaveLength(2);
  });

  it("shows a value with no errors unmarked", () => {
    const { container } = render(<JsonView value={{ a: [1, 2] }} label="x" />);
    expect(container.querySelectorAll("mark")).toHaveLength(0);
    expect(container.textContent).toContain('"a": [');
  });
});
