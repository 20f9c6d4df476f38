import { type ChannelSummary, createValidator, type Validator } from "@uns/contracts";
import type { GovernanceSnapshot } from "../governance.js";
import type { BatchTally } from "./protocol.js";
import { createWorkerTally } from "./worker-tally.js";

export interface InlineJudgeOptions {
  /**
   * Messages per second, at most, judged on the event loop (validation.inlineMaxPerSecond),
   * counted per window of WINDOW_MS; 0 turns judging on the event loop off.
   */
  maxPerSecond: number;
  /** validation.fastPath: "off" means ajv only, which never runs on the event loop. */
  fastPath: "auto" | "off";
  /** Payload bytes kept per violation and last message (the store's cap), as in the workers. */
  payloadCapBytes: number;
  /** Where the counts of the messages judged here go: the same path as a worker's tally. */
  onTally: (tally: BatchTally) => void;
}

/** Length of a rate window (ms). */
const WINDOW_MS = 100;
/** What was judged here is handed over (counted) at most this many ms later. */
const CUT_MS = 10;
/** Larger payloads always go to a worker: one of them would hold the event loop too long. */
export const INLINE_MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Judges a message on the event loop when that is cheaper than handing it to a worker: at a low
 * rate every message (monitor: each 10 ms window; enforce: each message) pays a whole hand-off to
 * a worker thread and back, two thread wake-ups and their context switches, about 100-400 us,
 * where the native checker takes about 5-10 us for a 4 KB weld spot.
 *
 * Only the native checker runs here (`Validator.validateFast`), and only its "valid" is taken:
 * ajv-only channels, refused topics and payloads it does not call valid go to the workers, which
 * judge them in full as before. A message judged here is counted by the workers' own tally code
 * (worker-tally.ts) and handed over as a tally within CUT_MS, so inline and
 * worker verdicts are counted the same way, each message once.
 *
 * Only at low rates: while more than `maxPerSecond` messages arrive (in the last window or in
 * this one), they go to the workers, where the event loop pays only its share of a batch's
 * hand-off. Counted, not timed: on a shared core a clock around the check would also measure
 * the other threads that ran meanwhile.
 */
export function createInlineJudge(options: InlineJudgeOptions) {
  const perWindow = (options.maxPerSecond * WINDOW_MS) / 1000;
  const tally = createWorkerTally(options.payloadCapBytes);
  let cutScheduled = false;
  let cutTimer: NodeJS.Timeout | null = null;
  /** Validators per contract snapshot, one per channel (compiled on the channel's first message). */
  let forSnapshot: GovernanceSnapshot | null = null;
  let validators = new Map<string, Validator | null>();
  let windowStart = 0;
  /** Messages offered in this window (judged here or not), and in the last one. */
  let offered = 0;
  let lastOffered = 0;
  let judged = 0;

  function validatorFor(snap: GovernanceSnapshot, channel: string): Validator | null {
    if (snap !== forSnapshot) {
      forSnapshot = snap;
      validators = new Map();
    }
    let v = validators.get(channel);
    if (v === undefined) {
      const spec = snap.fullChannel(channel);
      v = spec
        ? createValidator(
            { version: snap.contracts.version, channels: [spec] },
            { fastPath: options.fastPath },
          )
        : null;
      // A channel the native checker cannot cover stays with the workers (no ajv on the event loop).
      if (v && !v.fastChecks(channel)) v = null;
      validators.set(channel, v);
    }
    return v;
  }

  function cut(): void {
    cutScheduled = false;
    if (cutTimer) clearTimeout(cutTimer);
    cutTimer = null;
    options.onTally(tally.cut(Date.now()));
  }

  return {
    /**
     * Judge and count one message here if it is valid by the native checker and the rate
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
      if (perWindow <= 0) return false;
      if (time - windowStart >= WINDOW_MS) {
        lastOffered = time - windowStart >= 2 * WINDOW_MS ? 0 : offered;
        windowStart = time;
        offered = 0;
      }
      offered++;
      if (offered > perWindow || lastOffered > perWindow || payload.byteLength > INLINE_MAX_PAYLOAD_BYTES)
        return false;
      const verdict = validatorFor(snap, channel.id)?.validateFast(channel.id, topic, payload);
      if (!verdict) return false;
      judged++;
      tally.add(
        {
          time,
          receivedAt: performance.timeOrigin + performance.now(),
          flags,
          channel: channel.id,
          contract: channel,
          topic,
          clientId,
          username,
          payload,
        },
        verdict,
        time,
      );
      if (!cutScheduled) {
        cutScheduled = true;
        // One hand-over per window, not per turn: a cut and its recording cost tens of us, as
        // much as the judgement of a few messages (counts are up to CUT_MS late, as monitor
        // mode's batch window makes a worker's).
        cutTimer = setTimeout(cut, CUT_MS);
      }
      return true;
    },
    /** Hand over what was counted and not yet handed over (before a flush or a stop). */
    drain(): void {
      if (cutScheduled) cut();
    },
    stats() {
      return { judged };
    },
  };
}

export type InlineJudge = ReturnType<typeof createInlineJudge>;
