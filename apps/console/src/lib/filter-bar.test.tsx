// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Router } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import { ConfigProvider } from "./config";
import { FilterBar, kindOptions } from "./filter-bar";

// The channel picker lists the channels of GET /api/v1/contracts; answer it here.
beforeEach(() => {
  vi.stubGlobal("fetch", async (url: string) => {
    if (String(url).startsWith("/api/v1/contracts"))
      return Response.json({ channels: [{ id: "weldSpot" }, { id: "lineState" }] });
    if (String(url).startsWith("/api/v1/violations/kinds?"))
      return Response.json({
        kinds: [
          { kind: "sparkplug", count: 1200 },
          { kind: "schema", count: 3 },
        ],
      });
    return new Response("{}", { status: 404 });
  });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function setup(
  path: string,
  fields: Parameters<typeof FilterBar>[0]["fields"] = ["topic", "channel", "client", "kind"],
) {
  const loc = memoryLocation({ path, record: true });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <ConfigProvider value={{ timeZone: "Europe/Berlin", mqttWebSocketPath: "/mqtt", version: "test" }}>
        <Router hook={loc.hook} searchHook={loc.searchHook}>
          <FilterBar fields={fields} />
        </Router>
      </ConfigProvider>
    </QueryClientProvider>,
  );
  return { last: () => loc.history[loc.history.length - 1] };
}

describe("FilterBar", () => {
  it("shows the filters the URL holds", () => {
    setup("/violations?range=1h&topic=acme/plant-a/&client=robot-7&kind=schema");
    expect((screen.getByLabelText("Window") as HTMLSelectElement).value).toBe("1h");
    expect((screen.getByLabelText("Topic subtree") as HTMLInputElement).value).toBe("acme/plant-a/");
    expect((screen.getByLabelText("Publisher (client id)") as HTMLInputElement).value).toBe("robot-7");
    expect((screen.getByLabelText("Kind") as HTMLSelectElement).value).toBe("schema");
  });

  it("puts a chosen window in the URL at once, and resets paging", () => {
    const { last } = setup("/violations?topic=acme/&cursor=abc");
    act(() => {
      fireEvent.change(screen.getByLabelText("Window"), { target: { value: "7d" } });
    });
    expect(last()).toBe("/violations?range=7d&topic=acme/");
  });

  it("applies typed values on submit", () => {
    const { last } = setup("/violations?range=1h");
    fireEvent.change(screen.getByLabelText("Topic subtree"), { target: { value: " acme/plant-b/ " } });
    fireEvent.change(screen.getByLabelText("Publisher (client id)"), { target: { value: "cam-3" } });
    act(() => {
      fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    });
    expect(last()).toBe("/violations?range=1h&topic=acme/plant-b/&client=cam-3");
  });

  it("shows a custom window on the plant's clock, zone named, and writes it back as UTC", () => {
    const { last } = setup("/?range=custom&from=2026-11-22T10:00:00Z&to=2026-11-22T12:00:00Z", []);
    const from = screen.getByLabelText(/^From \(Europe\/Berlin/) as HTMLInputElement;
    expect(from.value).toBe("2026-11-22T11:00");
    expect((screen.getByLabelText(/^To \(Europe\/Berlin/) as HTMLInputElement).value).toBe(
      "2026-11-22T13:00",
    );
    fireEvent.change(from, { target: { value: "2026-11-22T09:30" } });
    act(() => {
      fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    });
    expect(last()).toBe("/?range=custom&from=2026-11-22T08:30:00.000Z&to=2026-11-22T12:00:00.000Z");
  });

  it("offers the contracts' channels and applies a choice at once", async () => {
    const { last } = setup("/violations?range=1h");
    await screen.findByRole("option", { name: "weldSpot" });
    act(() => {
      fireEvent.change(screen.getByLabelText("Channel"), { target: { value: "weldSpot" } });
    });
    expect(last()).toBe("/violations?range=1h&channel=weldSpot");
  });

  it("offers the kinds of violation the window holds, with counts, and applies a choice at once", async () => {
    const { last } = setup("/violations?range=1h");
    await screen.findByRole("option", { name: "sparkplug (1,200)" });
    expect(
      [...(screen.getByLabelText("Kind") as HTMLSelectElement).options].map((o) => [o.value, o.text]),
    ).toEqual([
      ["", "All kinds"],
      ["sparkplug", "sparkplug (1,200)"],
      ["schema", "schema (3)"],
    ]);
    act(() => {
      fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "sparkplug" } });
    });
    expect(last()).toBe("/violations?range=1h&kind=sparkplug");
  });

  it("keeps a chosen kind in the picker when the window holds none of it", () => {
    expect(kindOptions([{ kind: "schema", count: 2 }], "acl")).toEqual([
      { value: "schema", label: "schema (2)" },
      { value: "acl", label: "acl" },
    ]);
    expect(kindOptions([], undefined)).toEqual([]);
  });

  it("clears every filter", () => {
    const { last } = setup("/violations?range=1h&channel=weldSpot&sort=x");
    act(() => {
      fireEvent.click(screen.getByRole("button", { name: "Clear" }));
    });
    expect(last()).toBe("/violations?sort=x");
  });
});
