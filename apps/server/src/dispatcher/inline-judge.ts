import { type ChannelSummary, createValidator, type Validator } from "@uns/contracts";
import type { GovernanceSnapshot } from "../governance.js";
import type { BatchTally } from "./protocol.js";
import { createWorkerTally } from "./worker-tally.js";

export interface InlineJudgeOptions {
  /**
   * Share of the event loop's time (percent) that judging on it may take, measured per window of
   * WINDOW_MS; 0 turns judging on the event loop off (every message goes to the workers).
   */
  budgetPercent: number;
  /** validation.fastPath: "off" means ajv only, which never runs on the event loop. */
  fastPath: "auto" | "off";
  /** Payload bytes kept per violation and last message (the store's cap), as in the workers. */
  payloadCapBytes: number;
  /** Where the counts of the messages judged here go: the same path as a worker's tally. */
  onTally: (tally: BatchTally) => void;
}

/** Length of a budget window (ms). */
const WINDOW_MS = 100;

/**
 * Judges a message on the event loop when that is cheaper than handing it to a worker: at a low
 * rate every message (monitor: each 10 ms window; enforce: each message) pays a whole hand-off to
 * a worker thread and back, two thread wake-ups and their context switches, about 100-400 us,
 * where the native checker takes about 5-10 us for a 4 KB weld spot.
 *
 * Only the native checker runs here (`Validator.validateFast`), and only its "valid" is taken:
 * ajv-only channels, refused topics and payloads it does not call valid go to the workers, which
 * judge them in full as before. A message judged here is counted by the workers' own tally code
 * (worker-tally.ts) and handed over as a tally at the end of the event loop's turn, so inline and
 * worker verdicts are counted the same way, each message once.
 *
 * The budget keeps it off the event loop under load: while judging took more than
 * `budgetPercent` of the last window (or would have, at the last window's rate), messages go to
 * the workers, where the event loop pays only the hand-off share of a batch.
 */
export function createInlineJudge(options: InlineJudgeOptions) {
  const budgetMs = (WINDOW_MS * options.budgetPercent) / 100;
  const tally = createWorkerTally(options.payloadCapBytes);
  let cutScheduled = false;
  /** Validators per contract snapshot, one per channel (compiled on the channel's first message). */
  let forSnapshot: GovernanceSnapshot | null = null;
  let validators = new Map<string, Validator | null>();
  let windowStart = 0;
  /** Time spent judging in this window, and messages offered (judged here or not). */
  let spentMs = 0;
  let offered = 0;
  /** What judging the last window's messages here would have cost. */
  let lastDemandMs = 0;
  /** Mean cost of one judgement here (ms), a moving average. */
  let costMs = 0.01;
  let judged = 0;

  function validatorFor(snap: GovernanceSnapshot, channel: string): Validator | null {
    if (snap !== forSnapshot) {
      forSnapshot = snap;
      validators = new Map();
    }
    let v = validators.get(channel);
    if (v === undefined) {
      const spec = snap.fullChannel(channel);
      v = spec ? createValidator({ version: snap.contracts.version, channels: [spec] }, { fastPath: options.fastPath }) : null;
      // A channel the native checker cannot cover stays with the workers (no ajv on the event loop).
      if (v && !v.fastChecks(channel)) v = null;
      validators.set(channel, v);
    }
    return v;
  }

  function cut(): void {
    cutScheduled = false;
    options.onTally(tally.cut(Date.now()));
  }

  return {
    /**
     * Judge and count one message here if it is valid by the native checker and the budget
     * allows; false: nothing was counted, hand it to the workers.
     */
    judge(
      snap: GovernanceSnapshot,
      channel: ChannelSummary,
      topic: string,
      clientId: string,
      username: string | null,
      flags: number,
      time: number,
      payload: Uint8Array,
    ): boolean {
      if (budgetMs <= 0) return false;
      const start = performance.now();
      if (start - windowStart >= WINDOW_MS) {
        lastDemandMs = start - windowStart >= 2 * WINDOW_MS ? 0 : offered * costMs;
        windowStart = start;
        spentMs = 0;
        offered = 0;
      }
      offered++;
      if (spentMs >= budgetMs || lastDemandMs > budgetMs) return false;
      const v = validatorFor(snap, channel.id);
      // A channel's first message compiles it: that counts against the window, not the mean.
      const checked = performance.now();
      const verdict = v?.validateFast(channel.id, topic, payload);
      const end = performance.now();
      spentMs += end - start;
      if (!verdict) return false;
      costMs += (end - checked - costMs) / 16;
      judged++;
      tally.add(
        {
          time,
          receivedAt: performance.timeOrigin + start,
          flags,
          channel: channel.id,
          contract: channel,
          topic,
          clientId,
          username,
          payload,
        },
        verdict,
        Date.now(),
      );
      if (!cutScheduled) {
        cutScheduled = true;
        // Before the next turn's I/O: whoever reads the counts after the ack finds them.
        setImmediate(cut);
      }
      return true;
    },
    /** Hand over what was counted and not yet handed over (before a flush or a stop). */
    drain(): void {
      if (cutScheduled) cut();
    },
    stats() {
      return { judged, costUs: costMs * 1000 };
    },
  };
}

export type InlineJudge = ReturnType<typeof createInlineJudge>;
