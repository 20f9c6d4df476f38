import { placeOf } from "./topic-place.js";

/** The channel whose spots are counted where they are judged, not on the broker's event loop. */
export const WELD_SPOT_CHANNEL = "weldSpot";

const EXPULSION_KEY = Buffer.from('"expulsion":');
const WEAR_KEY = Buffer.from('"wear":');
const SPACE = 0x20;
const T = 0x74;

/** The index of the first byte after `key` and any spaces, or -1 when `key` is not there. */
function valueAt(buf: Buffer, key: Buffer): number {
  let at = buf.indexOf(key);
  if (at < 0) return -1;
  at += key.length;
  while (buf[at] === SPACE) at++;
  return at;
}

/**
 * What the KPIs read from a weld spot: whether it is an expulsion and the electrode wear. Read
 * off the bytes, not parsed: it runs for every spot, in the validation workers at high rates (see
 * `createWeldSpotTally`), so the broker's event loop does not. The keys are searched, not
 * `"expulsion":true` itself: a spot without an expulsion would be scanned to its end.
 */
export function weldSpotFacts(payload: Uint8Array): { expulsion: boolean; wear: number } {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const e = valueAt(buf, EXPULSION_KEY);
  const expulsion = e >= 0 && buf[e] === T;
  const w = valueAt(buf, WEAR_KEY);
  let wear = Number.NaN;
  if (w >= 0) {
    const m = /^-?[0-9.]+/.exec(buf.subarray(w, w + 24).toString("latin1"));
    if (m) wear = Number(m[0]);
  }
  return { expulsion, wear };
}

/** Weld spots of one cell in one minute. */
export interface WeldSpotMinute {
  line: string;
  cell: string;
  minute: number;
  welded: number;
  expulsions: number;
  wearSum: number;
  wearCount: number;
  /** The last spot's receive time (ms). */
  lastAt: number;
}

/** Flat [line, cell, minute, welded, expulsions, wearSum, wearCount, lastAt, line, ...]. */
export type FlatWeldSpotMinutes = (string | number)[];
const FIELDS = 8;

/** Counts weld spots per cell and minute where they are judged; `cut` hands them over flat. */
export function createWeldSpotTally() {
  let minutes = new Map<string, WeldSpotMinute>();
  // A batch holds many spots of few cells: each topic's row is found once per batch and minute.
  let byTopic = new Map<string, WeldSpotMinute | null>();
  function rowOf(topic: string, minute: number, time: number): WeldSpotMinute | null {
    const place = placeOf(topic);
    if (!place) return null;
    const key = `${place.line}\u0000${place.cell}\u0000${minute}`;
    let m = minutes.get(key);
    if (!m) {
      m = { ...place, minute, welded: 0, expulsions: 0, wearSum: 0, wearCount: 0, lastAt: time };
      minutes.set(key, m);
    }
    return m;
  }
  return {
    add(topic: string, payload: Uint8Array, time: number): void {
      const minute = Math.floor(time / 60_000) * 60_000;
      let m = byTopic.get(topic);
      if (m === undefined || (m !== null && m.minute !== minute)) {
        m = rowOf(topic, minute, time);
        byTopic.set(topic, m);
      }
      if (m === null) return;
      const facts = weldSpotFacts(payload);
      m.welded++;
      if (facts.expulsion) m.expulsions++;
      if (Number.isFinite(facts.wear)) {
        m.wearSum += facts.wear;
        m.wearCount++;
      }
      if (time > m.lastAt) m.lastAt = time;
    },
    cut(): FlatWeldSpotMinutes {
      const flat: FlatWeldSpotMinutes = [];
      for (const m of minutes.values())
        flat.push(m.line, m.cell, m.minute, m.welded, m.expulsions, m.wearSum, m.wearCount, m.lastAt);
      minutes = new Map();
      byTopic = new Map();
      return flat;
    },
  };
}

/** The minutes of a flat list, one by one. */
export function* weldSpotMinutes(flat: FlatWeldSpotMinutes): Generator<WeldSpotMinute> {
  for (let i = 0; i + FIELDS - 1 < flat.length; i += FIELDS)
    yield {
      line: flat[i] as string,
      cell: flat[i + 1] as string,
      minute: flat[i + 2] as number,
      welded: flat[i + 3] as number,
      expulsions: flat[i + 4] as number,
      wearSum: flat[i + 5] as number,
      wearCount: flat[i + 6] as number,
      lastAt: flat[i + 7] as number,
    };
}
