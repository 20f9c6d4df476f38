/** What the bench and its broker child share: the users it creates, and the IPC messages. */

export const BENCH_PASSWORD = "bench-password-1";
/** Role `device` in the test fixtures: may publish under acme/#. */
export const PUBLISHER_USER = "bench-device";
/** Role `viewer` in the test fixtures: may subscribe to #. */
export const SUBSCRIBER_USER = "bench-viewer";

/** Role `device`, password hashed with a small scrypt N: logs in the 10,000 idle connections. */
export const IDLE_USER = "bench-idle";

export type ChildRequest =
  | { type: "totals"; id: number }
  | { type: "threads"; id: number }
  | { type: "mark"; name: string }
  | { type: "stop" };

export interface ChildThread {
  tid: number;
  role: "validation" | "store" | "contracts" | "worker";
  script: string;
  threadId: number;
  ambiguous: boolean;
}

export interface UnsTotals {
  valid: number;
  invalid: number;
  unvalidated: number;
  ungoverned: number;
  total: number;
  pool: {
    size: number;
    queued: number;
    inFlight: number;
    capacity: number;
    restarts: number;
    /** Wall time spent validating, per worker, since start (ms). */
    busyMs?: number[];
  };
  /** Messages judged on the event loop instead of a worker (validation.inlineMaxPerSecond). */
  inline?: number;
  /** QoS 0 deliveries dropped for a subscriber whose outgoing queue was full (uns_mqtt_slow_client_dropped_total). */
  slowClientDropped?: number;
}

export type ChildReply =
  | { type: "ready"; port: number; info: Record<string, unknown> }
  | { type: "failed"; message: string }
  | { type: "totals"; id: number; totals: UnsTotals | null }
  | { type: "threads"; id: number; threads: ChildThread[] };
