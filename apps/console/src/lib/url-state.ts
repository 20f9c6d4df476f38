import { useCallback, useMemo } from "react";
import { useLocation, useSearch } from "wouter";
import { type Filters, parseFilters, patchSearch } from "./filters";

export interface UrlState {
  filters: Filters;
  /** All query parameters, filters and page-specific ones (sort, cursor, node, ...). */
  params: URLSearchParams;
  search: string;
  /** Changes some parameters; `undefined` or "" removes one. Pushes a history entry unless `replace`. */
  update(patch: Record<string, string | undefined | null>, options?: { replace?: boolean }): void;
}

/** The page's state as kept in its URL (see filters.ts). */
export function useUrlState(): UrlState {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const filters = useMemo(() => parseFilters(search), [search]);
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const update = useCallback(
    (patch: Record<string, string | undefined | null>, options: { replace?: boolean } = {}) => {
      const next = patchSearch(search, patch);
      navigate(next ? `${location}?${next}` : location, { replace: options.replace ?? false });
    },
    [search, location, navigate],
  );
  return { filters, params, search, update };
}
