import type {
  BodyEventRow,
  CellMinuteRow,
  LineMinuteRow,
  LineStateRow,
  QualityBatch,
  TallyRow,
} from "@uns/store";
import { placeOf } from "./topic-place.js";
import {
  type FlatWeldSpotMinutes,
  type WeldSpotMinute,
  weldSpotFacts,
  weldSpotMinutes,
} from "./weld-spot-tally.js";
import { EventRing, SecondRing } from "./windows.js";

/**
 * Turns the plant's messages into per-minute KPI rows (ISO 22400-2 parts, summed, never ratios)
 * and keeps short sliding windows for the alert rules.
 *
 * Times are the broker's receive times: a device clock that disagrees cannot move production into
 * another minute. State time is accrued only while state messages are fresh (`staleAfterMs` after
 * the last one); after that the time is unknown, which is neither production nor downtime.
 */
export interface KpiEngineOptions {
  /** A line's state is trusted this long after its last state message (heartbeat). */
  staleAfterMs: number;
  /** Nugget diameter below this (mm) counts as "nugget too small". */
  minNuggetDiameterMm: number;
}

const MINUTE = 60_000;
export const LINE_KEYS = ["runningMs", "downMs", "plannedStopMs", "produced", "good", "idealMs"] as const;
export type LineKey = (typeof LINE_KEYS)[number];

/** Flags of a scored spot in the cell's event ring. */
export const SPOT = { anomaly: 1, nok: 2, belowLimit: 4 } as const;

type StateName = "running" | "stopped" | "starved" | "blocked" | "maintenance";
const STATE_COLUMN: Record<StateName, keyof LineMinuteRow> = {
  running: "runningMs",
  stopped: "stoppedMs",
  starved: "starvedMs",
  blocked: "blockedMs",
  maintenance: "plannedStopMs",
};

interface LineTrack {
  state: StateName | null;
  reason: string | null;
  lastStateAt: number;
  accountedTo: number;
  unknownSince: number | null;
  counts: { shift: string; total: number; good: number; bad: number } | null;
  shift: string;
  lastCountsAt: number;
  ring: SecondRing<LineKey>;
  clockSkewMs: number;
}

interface CellTrack {
  spots: EventRing;
  lastResultAt: number;
}

export type KpiEngine = ReturnType<typeof createKpiEngine>;

export function createKpiEngine(options: KpiEngineOptions) {
  const lines = new Map<string, LineTrack>();
  const cells = new Map<string, CellTrack>();
  const lineMinutes = new Map<string, LineMinuteRow>();
  const cellMinutes = new Map<string, CellMinuteRow>();
  const tallies = new Map<string, TallyRow>();
  const dirtyLine = new Set<string>();
  const dirtyCell = new Set<string>();
  const dirtyTally = new Set<string>();
  let bodyEvents: BodyEventRow[] = [];
  let lineStates: LineStateRow[] = [];
  const lastSeen = new Map<string, number>();

  const minuteOf = (t: number) => Math.floor(t / MINUTE) * MINUTE;

  function lineMinute(line: string, t: number, shift: string): LineMinuteRow {
    const minute = minuteOf(t);
    const key = `${line}\u0000${minute}`;
    let r = lineMinutes.get(key);
    if (!r) {
      r = {
        line,
        minute,
        shift,
        runningMs: 0,
        stoppedMs: 0,
        starvedMs: 0,
        blockedMs: 0,
        plannedStopMs: 0,
        unknownMs: 0,
        produced: 0,
        good: 0,
        bad: 0,
        idealMs: 0,
        counterResets: 0,
      };
      lineMinutes.set(key, r);
    }
    if (shift && !r.shift) r.shift = shift;
    dirtyLine.add(key);
    return r;
  }

  function cellMinute(line: string, cell: string, t: number): CellMinuteRow {
    const minute = minuteOf(t);
    const key = `${line}\u0000${cell}\u0000${minute}`;
    let r = cellMinutes.get(key);
    if (!r) {
      r = {
        line,
        cell,
        minute,
        scored: 0,
        nok: 0,
        suspect: 0,
        anomalies: 0,
        diameterSum: 0,
        belowLimit: 0,
        welded: 0,
        expulsions: 0,
        wearSum: 0,
        wearCount: 0,
      };
      cellMinutes.set(key, r);
    }
    dirtyCell.add(key);
    return r;
  }

  function tally(row: Omit<TallyRow, "count" | "minute">, t: number, count = 1): void {
    const minute = minuteOf(t);
    const key = [row.line, row.cell, row.kind, row.name, row.source, minute].join("\u0000");
    let r = tallies.get(key);
    if (!r) {
      r = { ...row, minute, count: 0 };
      tallies.set(key, r);
    }
    r.count += count;
    dirtyTally.add(key);
  }

  function track(line: string, now: number): LineTrack {
    let l = lines.get(line);
    if (!l) {
      l = {
        state: null,
        reason: null,
        lastStateAt: 0,
        accountedTo: now,
        unknownSince: null,
        counts: null,
        shift: "",
        lastCountsAt: 0,
        ring: new SecondRing(LINE_KEYS),
        clockSkewMs: 0,
      };
      lines.set(line, l);
    }
    return l;
  }

  /** Add `ms` of `column` to the minutes [from, to) spans, split at minute boundaries. */
  function addTime(
    line: string,
    l: LineTrack,
    column: keyof LineMinuteRow | "unknownMs",
    from: number,
    to: number,
  ) {
    let t = from;
    while (t < to) {
      const end = Math.min(to, minuteOf(t) + MINUTE);
      const row = lineMinute(line, t, l.shift);
      (row[column] as number) += end - t;
      if (column === "runningMs") l.ring.add(end, { runningMs: end - t });
      else if (column === "plannedStopMs") l.ring.add(end, { plannedStopMs: end - t });
      else if (column !== "unknownMs") l.ring.add(end, { downMs: end - t });
      t = end;
    }
  }

  /** Account a line's time up to `now`: the current state while fresh, unknown after. */
  function accrue(line: string, l: LineTrack, now: number): void {
    if (now <= l.accountedTo) return;
    const freshUntil = l.state ? l.lastStateAt + options.staleAfterMs : l.accountedTo;
    const knownEnd = Math.min(now, Math.max(freshUntil, l.accountedTo));
    if (l.state && knownEnd > l.accountedTo) addTime(line, l, STATE_COLUMN[l.state], l.accountedTo, knownEnd);
    if (now > knownEnd) {
      addTime(line, l, "unknownMs", knownEnd, now);
      if (l.unknownSince === null) {
        l.unknownSince = knownEnd;
        lineStates.push({ line, since: knownEnd, state: "unknown", reason: "no state message" });
      }
    }
    l.accountedTo = now;
  }

  function onState(line: string, p: Record<string, unknown>, now: number): void {
    const state = p.state as StateName;
    if (!(state in STATE_COLUMN)) return;
    const l = track(line, now);
    accrue(line, l, now);
    const reason = typeof p.reason === "string" ? p.reason : null;
    if (state !== l.state || reason !== l.reason || l.unknownSince !== null) {
      lineStates.push({ line, since: now, state, reason });
    }
    l.state = state;
    l.reason = reason;
    l.lastStateAt = now;
    l.unknownSince = null;
    const sent = typeof p.time === "string" ? Date.parse(p.time) : Number.NaN;
    if (Number.isFinite(sent)) l.clockSkewMs = sent - now;
  }

  function onCounts(line: string, p: Record<string, unknown>, now: number): void {
    const total = Number(p.total);
    const good = Number(p.good);
    const bad = Number(p.bad);
    const ict = Number(p.idealCycleTime);
    const shift = typeof p.shift === "string" ? p.shift : "";
    if (![total, good, bad, ict].every(Number.isFinite)) return;
    const l = track(line, now);
    l.shift = shift;
    l.lastCountsAt = now;
    const prev = l.counts;
    l.counts = { shift, total, good, bad };
    // The first counts seen are the baseline (the server may have started mid-shift).
    if (!prev) return;
    // Counters are cumulative per shift: a new shift or a counter going back is a reset, and the
    // new value is what was produced since the reset.
    const reset = prev.shift !== shift || total < prev.total || good < prev.good || bad < prev.bad;
    const dTotal = reset ? total : total - prev.total;
    const dGood = reset ? good : good - prev.good;
    const dBad = reset ? bad : bad - prev.bad;
    const row = lineMinute(line, now, shift);
    // The minute in which a new shift's first counts arrive belongs to that shift.
    if (shift) row.shift = shift;
    if (reset) row.counterResets++;
    row.produced += dTotal;
    row.good += dGood;
    row.bad += dBad;
    row.idealMs += dTotal * ict * 1000;
    l.ring.add(now, { produced: dTotal, good: dGood, idealMs: dTotal * ict * 1000 });
    if (dBad > 0) tally({ line, cell: "", kind: "defect", name: "bad-body", source: "line" }, now, dBad);
  }

  function onWeldQuality(line: string, cell: string, p: Record<string, unknown>, now: number): void {
    const spot = (p.spot ?? {}) as Record<string, unknown>;
    const d = Number(p.predictedNuggetDiameter);
    const anomaly = p.anomaly === true;
    const verdict = String(p.verdict);
    const below = Number.isFinite(d) && d < options.minNuggetDiameterMm;
    const row = cellMinute(line, cell, now);
    row.scored++;
    if (verdict === "nok") row.nok++;
    if (verdict === "suspect") row.suspect++;
    if (anomaly) row.anomalies++;
    if (Number.isFinite(d)) row.diameterSum += d;
    if (below) row.belowLimit++;
    const c = cellTrack(line, cell);
    c.lastResultAt = now;
    c.spots.push(
      now,
      (anomaly ? SPOT.anomaly : 0) | (verdict === "nok" ? SPOT.nok : 0) | (below ? SPOT.belowLimit : 0),
    );
    const defect = (name: string) => tally({ line, cell, kind: "defect", name, source: cell }, now);
    if (anomaly) defect("anomaly");
    if (below) defect("nugget-too-small");
    if (verdict === "nok") defect("weld-nok");
    if (typeof spot.bodyId === "string")
      bodyEvents.push({
        time: now,
        bodyId: spot.bodyId,
        line,
        cell,
        kind: "weld-quality",
        ref: String(spot.spotId ?? spot.seq ?? ""),
        data: {
          spotId: spot.spotId,
          seq: spot.seq,
          controller: spot.controller,
          predictedNuggetDiameter: p.predictedNuggetDiameter,
          minNuggetDiameter: options.minNuggetDiameterMm,
          anomalyScore: p.anomalyScore,
          anomalyThreshold: p.anomalyThreshold,
          anomaly,
          verdict,
        },
      });
  }

  function cellTrack(line: string, cell: string): CellTrack {
    const key = `${line}/${cell}`;
    let c = cells.get(key);
    if (!c) {
      c = { spots: new EventRing(), lastResultAt: 0 };
      cells.set(key, c);
    }
    return c;
  }

  /**
   * weldSpot messages are large (curves): only two fields are needed, found in the raw bytes
   * instead of parsing the whole document on the broker's thread.
   */
  function onWeldSpot(line: string, cell: string, payload: Uint8Array, now: number): void {
    const facts = weldSpotFacts(payload);
    const wear = Number.isFinite(facts.wear);
    addWeldSpots({
      line,
      cell,
      minute: minuteOf(now),
      welded: 1,
      expulsions: facts.expulsion ? 1 : 0,
      wearSum: wear ? facts.wear : 0,
      wearCount: wear ? 1 : 0,
      lastAt: now,
    });
  }

  /** Weld spots counted where they were judged (a validation worker, or one at a time above). */
  function addWeldSpots(m: WeldSpotMinute): void {
    const row = cellMinute(m.line, m.cell, m.minute);
    row.welded += m.welded;
    row.wearSum += m.wearSum;
    row.wearCount += m.wearCount;
    if (m.expulsions > 0) {
      row.expulsions += m.expulsions;
      tally(
        { line: m.line, cell: m.cell, kind: "defect", name: "expulsion", source: m.cell },
        m.minute,
        m.expulsions,
      );
    }
  }

  function onSplatter(line: string, cell: string, p: Record<string, unknown>, now: number): void {
    const detections = Array.isArray(p.detections) ? p.detections : [];
    const camera = String(p.camera ?? "");
    if (detections.length > 0)
      tally({ line, cell, kind: "defect", name: "splatter", source: camera }, now, detections.length);
    // The detection rate per camera needs the images looked at, not only the boxes found; an
    // image that was not scored (late, failed) was not looked at.
    if (p.status === undefined || p.status === "scored") {
      tally({ line, cell, kind: "inspection", name: "splatter-image", source: camera }, now);
      if (detections.length > 0)
        tally({ line, cell, kind: "inspection", name: "splatter-hit", source: camera }, now);
    }
    cellTrack(line, cell).lastResultAt = now;
    if (typeof p.bodyId === "string")
      bodyEvents.push({
        time: now,
        bodyId: p.bodyId,
        line,
        cell,
        kind: "splatter",
        ref: String(p.eventId ?? ""),
        data: {
          camera,
          image: p.image,
          detections,
          ...(Array.isArray(p.zones) ? { zones: p.zones } : {}),
          ...(typeof p.status === "string" ? { status: p.status } : {}),
        },
      });
  }

  function onGate(line: string, cell: string, p: Record<string, unknown>, now: number): void {
    const gate = String(p.gate ?? "");
    const decision = String(p.decision ?? "");
    tally({ line, cell, kind: "gate", name: gate, source: decision }, now);
    cellTrack(line, cell).lastResultAt = now;
    if (typeof p.bodyId === "string")
      bodyEvents.push({
        time: now,
        bodyId: p.bodyId,
        line,
        cell,
        kind: "gate",
        ref: gate,
        data: { decision, reason: p.reason, evidence: p.evidence, decidedBy: p.decidedBy },
      });
  }

  return {
    /** One delivered message of a channel the KPIs use. Malformed payloads are ignored here (the contract judged them). */
    observe(channel: string, topic: string, payload: Uint8Array, now: number): void {
      const place = placeOf(topic);
      if (!place) return;
      lastSeen.set(`${channel}\u0000${place.line}`, now);
      if (channel === "weldSpot") {
        onWeldSpot(place.line, place.cell, payload, now);
        return;
      }
      let p: Record<string, unknown>;
      try {
        const v = JSON.parse(Buffer.from(payload).toString("utf8")) as unknown;
        if (v === null || typeof v !== "object" || Array.isArray(v)) return;
        p = v as Record<string, unknown>;
      } catch {
        return;
      }
      if (channel === "lineState") onState(place.line, p, now);
      else if (channel === "lineCounts") onCounts(place.line, p, now);
      else if (channel === "weldQuality") onWeldQuality(place.line, place.cell, p, now);
      else if (channel === "splatterDetections") onSplatter(place.line, place.cell, p, now);
      else if (channel === "checkGateDecision") onGate(place.line, place.cell, p, now);
    },

    /** Weld spots a validation worker counted per cell and minute (`createWeldSpotTally`). */
    observeWeldSpots(flat: FlatWeldSpotMinutes): void {
      for (const m of weldSpotMinutes(flat)) {
        const key = `weldSpot\u0000${m.line}`;
        if (m.lastAt > (lastSeen.get(key) ?? 0)) lastSeen.set(key, m.lastAt);
        addWeldSpots(m);
      }
    },

    /** Account every line's time up to `now` (called every second). */
    tick(now: number): void {
      for (const [line, l] of lines) accrue(line, l, now);
    },

    /** Rows changed since the last drain; minutes older than `keepMs` are forgotten afterwards. */
    drain(now: number, keepMs = 10 * MINUTE): QualityBatch {
      const batch: QualityBatch = {
        lineMinutes: [...dirtyLine].map((k) => ({ ...lineMinutes.get(k)! })),
        cellMinutes: [...dirtyCell].map((k) => ({ ...cellMinutes.get(k)! })),
        tallies: [...dirtyTally].map((k) => ({ ...tallies.get(k)! })),
        bodyEvents,
        lineStates,
      };
      dirtyLine.clear();
      dirtyCell.clear();
      dirtyTally.clear();
      bodyEvents = [];
      lineStates = [];
      const old = minuteOf(now - keepMs);
      for (const m of [lineMinutes, cellMinutes, tallies] as Map<string, { minute: number }>[])
        for (const [k, r] of m) if (r.minute < old) m.delete(k);
      return batch;
    },

    /** Put back a batch that could not be written (it is merged with newer changes). */
    restore(batch: QualityBatch): void {
      for (const r of batch.lineMinutes) dirtyLine.add(`${r.line}\u0000${r.minute}`);
      for (const r of batch.cellMinutes) dirtyCell.add(`${r.line}\u0000${r.cell}\u0000${r.minute}`);
      for (const r of batch.tallies)
        dirtyTally.add([r.line, r.cell, r.kind, r.name, r.source, r.minute].join("\u0000"));
      bodyEvents = [...batch.bodyEvents, ...bodyEvents].slice(-50_000);
      lineStates = [...batch.lineStates, ...lineStates];
      // Rows already forgotten cannot be rewritten; keep what is still in memory.
      for (const s of [dirtyLine, dirtyCell, dirtyTally]) for (const k of s) if (!has(k)) s.delete(k);
    },

    /** Sums over the last `windowMs` for a line (alert rules). */
    lineWindow(line: string, now: number, windowMs: number) {
      return lines.get(line)?.ring.sum(now, windowMs) ?? null;
    },
    lineState(line: string) {
      const l = lines.get(line);
      if (!l) return null;
      return {
        state: l.unknownSince !== null ? "unknown" : l.state,
        reason: l.reason,
        clockSkewMs: l.clockSkewMs,
      };
    },
    lines: () => [...lines.keys()],
    cells: () => [...cells.keys()],
    cellWindow(cellPath: string, flag: number, opts: { last?: number; since?: number }) {
      return cells.get(cellPath)?.spots.count(flag, opts) ?? null;
    },
    /** When a channel last published for a line (silence rules). */
    lastSeen(channel: string, line: string): number | undefined {
      return lastSeen.get(`${channel}\u0000${line}`);
    },
    lastSeenEntries(): [string, string, number][] {
      return [...lastSeen].map(([k, t]) => {
        const [c, l] = k.split("\u0000") as [string, string];
        return [c, l, t];
      });
    },
  };

  function has(k: string): boolean {
    return lineMinutes.has(k) || cellMinutes.has(k) || tallies.has(k);
  }
}
