import { useQuery } from "@tanstack/react-query";
import type { BrowserTopicResponse, BrowserTreeResponse } from "@uns/api-contract";
import { useEffect, useRef, useState } from "react";
import { ApiError, getJson, qs } from "../../lib/api";
import { useLivePaused } from "../../lib/live";
import { createTopicIndex, rowsOf, type TopicIndex } from "./topic-index";

/** How often the browser asks for changes: a value shows within this (plus one round trip). */
export const POLL_MS = 500;

/**
 * The topics seen, kept current by polling GET /browser/tree with `since` (only what changed
 * comes back; the first reply is every topic, in columns and gzipped: 50,000 topics in a few
 * hundred kB). Polling, not a stream: it needs nothing beyond the login the API already has,
 * stops with the header's pause, and a reply at most POLL_MS old keeps "within a second".
 */
export function useTopicFeed(): {
  index: TopicIndex;
  version: number;
  error: unknown;
  total: number;
  evicted: number;
} {
  const paused = useLivePaused();
  const indexRef = useRef<TopicIndex>(createTopicIndex());
  const [state, setState] = useState({ version: 0, error: null as unknown, total: 0, evicted: 0 });
  useEffect(() => {
    if (paused) return;
    let since: number | undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const tick = async () => {
      try {
        const r = await getJson<BrowserTreeResponse>(`/browser/tree${qs({ since })}`, controller.signal);
        if (stopped) return;
        since = r.seq;
        // Applied even when nothing changed: quiet topics' rates fall to 0 as the server's time moves
        // on. Only a change renders again: with 50,000 topics a render walks the whole tree.
        const changed = indexRef.current.apply(rowsOf(r), r.full, r.at);
        setState((s) =>
          changed || s.error || s.total !== r.total || s.evicted !== r.evicted
            ? { version: s.version + (changed ? 1 : 0), error: null, total: r.total, evicted: r.evicted }
            : s,
        );
      } catch (error) {
        if (stopped) return;
        setState((s) => ({ ...s, error }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [paused]);
  return { index: indexRef.current, ...state };
}

/** One topic with its recent messages, polled like the list while it is shown. */
export function useTopicDetail(topic: string | null) {
  const paused = useLivePaused();
  return useQuery({
    queryKey: ["browser-topic", topic],
    enabled: topic !== null,
    queryFn: ({ signal }) => getJson<BrowserTopicResponse>(`/browser/topic${qs({ topic })}`, signal),
    refetchInterval: paused ? false : POLL_MS,
    retry: (n, err) => !(err instanceof ApiError && err.status === 404) && n < 1,
    staleTime: 0,
    placeholderData: undefined,
  });
}
