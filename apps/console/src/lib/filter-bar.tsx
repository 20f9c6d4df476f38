import { useQuery } from "@tanstack/react-query";
import type { ContractsResponse, ViolationKindsResponse } from "@uns/api-contract";
import { type FormEvent, useId, useState } from "react";
import { getJson } from "./api";
import { useTimeZone } from "./config";
import { apiQuery, type Filters, RANGE_LABELS, RANGES, type Range } from "./filters";
import { formatCount, fromZonedInput, toZonedInput, zoneAbbreviation } from "./format";
import { useUrlState } from "./url-state";

export type FilterField = "topic" | "channel" | "client" | "kind";

/** Channel ids for the channel picker (from the loaded contracts). */
function useChannelIds(enabled: boolean): string[] {
  const q = useQuery({
    queryKey: ["contracts", "channel-ids"],
    queryFn: ({ signal }) => getJson<ContractsResponse>("/contracts", signal),
    enabled,
    staleTime: 60_000,
    select: (d) => d.channels.map((c) => c.id).sort(),
  });
  return q.data ?? [];
}

/**
 * The kinds of violation in the window (GET /api/v1/violations/kinds), most frequent first, for
 * the kind picker: it offers what the store holds (sparkplug, too-large, ...), not a fixed list.
 */
function useViolationKinds(enabled: boolean, filters: Filters): ViolationKindsResponse["kinds"] {
  const q = useQuery({
    queryKey: ["violation-kinds", filters.range, filters.from, filters.to],
    queryFn: ({ signal }) =>
      getJson<ViolationKindsResponse>(`/violations/kinds?${apiQuery(filters, [])}`, signal),
    enabled,
    staleTime: 30_000,
  });
  return q.data?.kinds ?? [];
}

/** Options of the kind picker: the window's kinds with counts, and the chosen one even if absent. */
export function kindOptions(
  kinds: ViolationKindsResponse["kinds"],
  current: string | undefined,
): { value: string; label: string }[] {
  const out = kinds.map((k) => ({ value: k.kind, label: `${k.kind} (${formatCount(k.count)})` }));
  if (current && !kinds.some((k) => k.kind === current)) out.push({ value: current, label: current });
  return out;
}

/**
 * The filter form shared by the pages. Choices from lists apply at once; typed values apply with
 * Enter or "Apply". Everything lands in the URL (see filters.ts), which resets paging.
 */
export function FilterBar({
  fields,
  resetKeys = ["cursor"],
}: {
  fields: FilterField[];
  resetKeys?: string[];
}) {
  const { filters, update, search } = useUrlState();
  // Re-mount the typed fields when the URL changes (back button, a link), so they show it.
  return <FilterForm key={search} fields={fields} filters={filters} resetKeys={resetKeys} update={update} />;
}

function FilterForm({
  fields,
  filters,
  update,
  resetKeys,
}: {
  fields: FilterField[];
  filters: Filters;
  resetKeys: string[];
  update: ReturnType<typeof useUrlState>["update"];
}) {
  const tz = useTimeZone();
  const id = useId();
  const channels = useChannelIds(fields.includes("channel"));
  const kinds = useViolationKinds(fields.includes("kind"), filters);
  const [draft, setDraft] = useState({
    topic: filters.topic ?? "",
    client: filters.client ?? "",
    from: filters.from ? toZonedInput(filters.from, tz) : "",
    to: filters.to ? toZonedInput(filters.to, tz) : "",
  });
  const reset = Object.fromEntries(resetKeys.map((k) => [k, undefined]));

  const apply = (patch: Record<string, string | undefined>) => update({ ...reset, ...patch });

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const patch: Record<string, string | undefined> = {};
    if (fields.includes("topic")) patch.topic = draft.topic.trim();
    if (fields.includes("client")) patch.client = draft.client.trim();
    if (filters.range === "custom") {
      patch.from = draft.from ? fromZonedInput(draft.from, tz)?.toISOString() : undefined;
      patch.to = draft.to ? fromZonedInput(draft.to, tz)?.toISOString() : undefined;
    }
    apply(patch);
  }

  function onRange(r: Range) {
    if (r === "custom") {
      // Start a custom window from the one shown now, on the plant's clock.
      const to = new Date();
      const from = new Date(
        to.getTime() -
          (filters.range === "1h" ? 3600_000 : filters.range === "7d" ? 7 * 86400_000 : 86400_000),
      );
      apply({ range: "custom", from: from.toISOString(), to: to.toISOString() });
    } else apply({ range: r, from: undefined, to: undefined });
  }

  const zone = `${tz} (${zoneAbbreviation(tz)})`;
  const anySet =
    filters.range !== "24h" || filters.topic || filters.channel || filters.client || filters.kind;

  return (
    <search>
      <form className="filters" aria-label="Filters" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={`${id}-range`}>Window</label>
          <select
            id={`${id}-range`}
            name="range"
            value={filters.range}
            onChange={(e) => onRange(e.target.value as Range)}
          >
            {RANGES.map((r) => (
              <option key={r} value={r}>
                {RANGE_LABELS[r]}
              </option>
            ))}
          </select>
        </div>
        {filters.range === "custom" ? (
          <>
            <div className="field">
              <label htmlFor={`${id}-from`}>From ({zone})</label>
              <input
                id={`${id}-from`}
                name="from"
                type="datetime-local"
                value={draft.from}
                onChange={(e) => setDraft({ ...draft, from: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-to`}>To ({zone})</label>
              <input
                id={`${id}-to`}
                name="to"
                type="datetime-local"
                value={draft.to}
                onChange={(e) => setDraft({ ...draft, to: e.target.value })}
              />
            </div>
          </>
        ) : null}
        {fields.includes("topic") ? (
          <div className="field field-wide">
            <label htmlFor={`${id}-topic`}>Topic subtree</label>
            <input
              id={`${id}-topic`}
              name="topic"
              type="search"
              placeholder="acme/plant-a/body-shop/"
              spellCheck={false}
              value={draft.topic}
              onChange={(e) => setDraft({ ...draft, topic: e.target.value })}
            />
          </div>
        ) : null}
        {fields.includes("channel") ? (
          <div className="field">
            <label htmlFor={`${id}-channel`}>Channel</label>
            <select
              id={`${id}-channel`}
              name="channel"
              value={filters.channel ?? ""}
              onChange={(e) => apply({ channel: e.target.value })}
            >
              <option value="">All channels</option>
              {[...new Set([...channels, ...(filters.channel ? [filters.channel] : [])])].map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        {fields.includes("client") ? (
          <div className="field">
            <label htmlFor={`${id}-client`}>Publisher (client id)</label>
            <input
              id={`${id}-client`}
              name="client"
              type="search"
              spellCheck={false}
              value={draft.client}
              onChange={(e) => setDraft({ ...draft, client: e.target.value })}
            />
          </div>
        ) : null}
        {fields.includes("kind") ? (
          <div className="field">
            <label htmlFor={`${id}-kind`}>Kind</label>
            <select
              id={`${id}-kind`}
              name="kind"
              value={filters.kind ?? ""}
              onChange={(e) => apply({ kind: e.target.value })}
            >
              <option value="">All kinds</option>
              {kindOptions(kinds, filters.kind).map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="field field-actions">
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
          {anySet ? (
            <button
              type="button"
              className="btn"
              onClick={() =>
                apply({
                  range: undefined,
                  from: undefined,
                  to: undefined,
                  topic: undefined,
                  channel: undefined,
                  client: undefined,
                  kind: undefined,
                })
              }
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
    </search>
  );
}
