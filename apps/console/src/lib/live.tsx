import { useQueryClient } from "@tanstack/react-query";
import type { LiveViolation, RatesEvent } from "@uns/api-contract";
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
} from "react";

/**
 * The server's event stream (GET /api/v1/stream: `rates` every second, `violation` for each new
 * one) as a small external store, so that only the parts of a page that show live numbers
 * re-render each second. Pausing closes the stream and stops the pages' periodic refetching:
 * the screen holds still while someone reads it.
 */

export type LiveStatus = "connecting" | "open" | "reconnecting" | "paused";

export interface LiveSnapshot {
  status: LiveStatus;
  paused: boolean;
  rates: RatesEvent | null;
  /** Violations received since the page was opened (or since the last resume). */
  violationsSeen: number;
}

type Listener = () => void;

export function createLiveStore(url = "/api/v1/stream") {
  let snap: LiveSnapshot = { status: "connecting", paused: false, rates: null, violationsSeen: 0 };
  const listeners = new Set<Listener>();
  const violationListeners = new Set<(v: LiveViolation) => void>();
  let source: EventSource | null = null;

  const set = (patch: Partial<LiveSnapshot>) => {
    snap = { ...snap, ...patch };
    for (const l of listeners) l();
  };

  function open() {
    if (source || typeof EventSource === "undefined") return;
    set({ status: "connecting" });
    const es = new EventSource(url);
    source = es;
    es.onopen = () => set({ status: "open" });
    // EventSource reconnects by itself; show that it is trying.
    es.onerror = () => set({ status: "reconnecting" });
    es.addEventListener("rates", (e) => {
      try {
        set({ rates: JSON.parse((e as MessageEvent<string>).data) as RatesEvent, status: "open" });
      } catch {
        // a malformed event is skipped; the next one comes in a second
      }
    });
    es.addEventListener("violation", (e) => {
      let v: LiveViolation;
      try {
        v = JSON.parse((e as MessageEvent<string>).data) as LiveViolation;
      } catch {
        return;
      }
      set({ violationsSeen: snap.violationsSeen + 1 });
      for (const l of violationListeners) l(v);
    });
  }

  function close() {
    source?.close();
    source = null;
  }

  return {
    getSnapshot: () => snap,
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => {
        listeners.delete(l);
      };
    },
    onViolation(l: (v: LiveViolation) => void): () => void {
      violationListeners.add(l);
      return () => {
        violationListeners.delete(l);
      };
    },
    start: open,
    stop: close,
    setPaused(paused: boolean) {
      if (paused === snap.paused) return;
      if (paused) {
        close();
        set({ paused: true, status: "paused" });
      } else {
        set({ paused: false, violationsSeen: 0 });
        open();
      }
    },
  };
}

export type LiveStore = ReturnType<typeof createLiveStore>;

const LiveContext = createContext<LiveStore | null>(null);

export function LiveProvider({ children, store: given }: { children: ReactNode; store?: LiveStore }) {
  const store = useMemo(() => given ?? createLiveStore(), [given]);
  const client = useQueryClient();
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, [store]);
  // On resume, what was shown is stale: fetch it again.
  const wasPaused = useRef(false);
  useEffect(
    () =>
      store.subscribe(() => {
        const { paused } = store.getSnapshot();
        if (wasPaused.current && !paused) void client.invalidateQueries();
        wasPaused.current = paused;
      }),
    [store, client],
  );
  return <LiveContext.Provider value={store}>{children}</LiveContext.Provider>;
}

export function useLiveStore(): LiveStore {
  const s = useContext(LiveContext);
  if (!s) throw new Error("useLiveStore outside <LiveProvider>");
  return s;
}

export function useLive(): LiveSnapshot {
  const s = useLiveStore();
  return useSyncExternalStore(s.subscribe, s.getSnapshot, s.getSnapshot);
}

/** Only whether live updates are paused (does not re-render every second). */
export function useLivePaused(): boolean {
  const s = useLiveStore();
  return useSyncExternalStore(
    s.subscribe,
    () => s.getSnapshot().paused,
    () => s.getSnapshot().paused,
  );
}

/** `refetchInterval` for a query that should follow the plant while live updates run. */
export function useLiveInterval(ms: number): number | false {
  return useLivePaused() ? false : ms;
}

/**
 * Calls `fn` when violations arrive, at most once per `throttleMs`, while not paused (e.g. to
 * refetch the newest page of violations).
 */
export function useOnViolations(fn: (v: LiveViolation[]) => void, throttleMs = 1000): void {
  const s = useLiveStore();
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let pending: LiveViolation[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = s.onViolation((v) => {
      pending.push(v);
      timer ??= setTimeout(() => {
        timer = null;
        const batch = pending;
        pending = [];
        if (!s.getSnapshot().paused) fnRef.current(batch);
      }, throttleMs);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [s, throttleMs]);
}
