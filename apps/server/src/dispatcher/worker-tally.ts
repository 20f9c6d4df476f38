import type { ChannelSpec } from "@uns/contracts";
import { Accumulator } from "@uns/store/accumulator";
import { createWeldSpotTally, WELD_SPOT_CHANNEL } from "../quality/weld-spot-tally.js";
import { outcomeOf } from "./outcome-record.js";
import { type BatchTally, FLAG_ENFORCE, LATENCY_BUCKETS_S, type Verdict } from "./protocol.js";

type Contract = Pick<ChannelSpec, "file" | "version" | "title">;

/**
 * What a validation worker counts for the messages it judges, so that the broker's event loop
 * does not: the store's aggregates (counts per minute, topic, channel and publisher; publishers;
 * violations with their payload; last message per topic), live per-second counts, metrics by
 * policy, the latency histogram, and the weld spots the KPIs count per cell and minute. One tally
 * per batch, handed back with the verdicts.
 */
export function createWorkerTally(payloadCapBytes: number) {
  let acc = new Accumulator(payloadCapBytes);
  let seconds = new Map<number, number[]>();
  let channelSeconds = new Map<string, number[]>();
  let byPolicy = [0, 0, 0, 0, 0, 0];
  let latencyBuckets: number[] = new Array(LATENCY_BUCKETS_S.length + 1).fill(0);
  let latencySumS = 0;
  const weldSpots = createWeldSpotTally();
  const verdictIndex = { valid: 0, invalid: 1, unvalidated: 2 } as const;

  return {
    setPayloadCap(bytes: number): void {
      acc = new Accumulator(bytes);
    },
    /** Count one judged message (`receivedAt` on the `performance.timeOrigin` clock). */
    add(
      m: {
        time: number;
        receivedAt: number;
        flags: number;
        channel: string;
        contract: Contract | null;
        topic: string;
        clientId: string;
        username: string | null;
        payload: Uint8Array;
      },
      verdict: Verdict,
      now: number,
    ): void {
      const policy = m.flags & FLAG_ENFORCE ? "enforce" : "monitor";
      acc.add(
        outcomeOf(
          {
            time: m.time,
            clientId: m.clientId,
            username: m.username,
            topic: m.topic,
            payload: m.payload,
            policy,
          },
          m.channel,
          m.contract,
          verdict,
        ),
        now,
      );
      const v = verdictIndex[verdict.outcome];
      if (m.channel === WELD_SPOT_CHANNEL && v !== 1) weldSpots.add(m.topic, m.payload, m.time);
      const second = Math.floor(m.time / 1000);
      let s = seconds.get(second);
      if (!s) {
        s = [0, 0, 0];
        seconds.set(second, s);
      }
      s[v]!++;
      const key = `${m.channel}\u0000${second}`;
      let c = channelSeconds.get(key);
      if (!c) {
        c = [0, 0];
        channelSeconds.set(key, c);
      }
      if (v < 2) c[v]!++;
      byPolicy[(policy === "enforce" ? 3 : 0) + v]!++;
      const latencyS = Math.max(0, (performance.timeOrigin + performance.now() - m.receivedAt) / 1000);
      latencySumS += latencyS;
      let b = 0;
      while (b < LATENCY_BUCKETS_S.length && latencyS > LATENCY_BUCKETS_S[b]!) b++;
      latencyBuckets[b]!++;
    },
    /** Everything counted since the last cut, for one batch result. */
    cut(now: number): BatchTally {
      const flatSeconds: number[] = [];
      for (const [at, s] of seconds) flatSeconds.push(at, s[0]!, s[1]!, s[2]!);
      const flatChannels: (string | number)[] = [];
      for (const [key, c] of channelSeconds) {
        const sep = key.lastIndexOf("\u0000");
        flatChannels.push(key.slice(0, sep), Number(key.slice(sep + 1)), c[0]!, c[1]!);
      }
      const tally: BatchTally = {
        store: acc.cut(now),
        seconds: flatSeconds,
        channelSeconds: flatChannels,
        byPolicy,
        latencyBuckets,
        latencySumS,
        weldSpots: weldSpots.cut(),
      };
      seconds = new Map();
      channelSeconds = new Map();
      byPolicy = [0, 0, 0, 0, 0, 0];
      latencyBuckets = new Array(LATENCY_BUCKETS_S.length + 1).fill(0);
      latencySumS = 0;
      return tally;
    },
  };
}
