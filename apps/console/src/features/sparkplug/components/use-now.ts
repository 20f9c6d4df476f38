import { useSyncExternalStore } from "react";
import { useLivePaused } from "../../../lib/live";

/**
 * One clock for every "online for ..." on the page, ticking each second while live updates run:
 * only the components that show a duration re-render.
 */
const clock = (() => {
  let now = Date.now();
  let timer: ReturnType<typeof setInterval> | null = null;
  const listeners = new Set<() => void>();
  return {
    get: () => now,
    subscribe(l: () => void) {
      listeners.add(l);
      if (!timer) now = Date.now();
      timer ??= setInterval(() => {
        now = Date.now();
        for (const f of listeners) f();
      }, 1000);
      return () => {
        listeners.delete(l);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
  };
})();

const still = () => () => {};

export function useNow(): number {
  const paused = useLivePaused();
  return useSyncExternalStore(paused ? still : clock.subscribe, clock.get, clock.get);
}
