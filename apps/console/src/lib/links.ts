import { type Filters, serializeFilters } from "./filters";

/**
 * Paths of the console's pages. Pages link to each other only through these, so no feature
 * imports another.
 */
function withQuery(path: string, query: string): string {
  return query ? `${path}?${query}` : path;
}

export const paths = {
  overview: (f?: Filters) => withQuery("/", f ? serializeFilters(f) : ""),
  violations: (f?: Filters, extra: Record<string, string | undefined> = {}) =>
    withQuery("/violations", f ? serializeFilters(f, extra) : ""),
  violation: (id: string) => `/violations/${encodeURIComponent(id)}`,
  publishers: (f?: Filters, extra: Record<string, string | undefined> = {}) =>
    withQuery("/publishers", f ? serializeFilters(f, extra) : ""),
  contracts: (f?: Filters, extra: Record<string, string | undefined> = {}) =>
    withQuery("/contracts", f ? serializeFilters(f, extra) : ""),
  topics: (f?: Filters, extra: Record<string, string | undefined> = {}) =>
    withQuery("/topics", f ? serializeFilters(f, extra) : ""),
  sparkplug: (f?: Filters, extra: Record<string, string | undefined> = {}) =>
    withQuery("/sparkplug", f ? serializeFilters(f, extra) : ""),
  plant: (scope = "") => withQuery("/plant", scope ? `scope=${encodeURIComponent(scope)}` : ""),
  line: (line: string, range?: string) =>
    withQuery("/line", new URLSearchParams({ line, ...(range ? { range } : {}) }).toString()),
  alerts: (extra: Record<string, string> = {}) => withQuery("/alerts", new URLSearchParams(extra).toString()),
  body: (id = "") => withQuery("/body", id ? `id=${encodeURIComponent(id)}` : ""),
  models: () => "/models",
  browser: (node = "") => withQuery("/browser", node ? `node=${encodeURIComponent(node)}` : ""),
  retained: () => "/retained",
};

/** Filters carried from page to page by the navigation: the window and the subtree/channel/client. */
export function carriedFilters(f: Filters): Filters {
  const { kind: _kind, ...rest } = f;
  return rest;
}
