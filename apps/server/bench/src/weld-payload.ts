/**
 * A weld-spot message as the load generator sends it: about 4 KB of JSON with 400 numbers, valid
 * against the weldSpot channel of test/fixtures/asyncapi/weld.yaml. Fixed-width fields let the
 * generator patch a copy of the bytes per message instead of serialising JSON:
 * - `spotId` holds the send time (microseconds on the generator's clock) for latency;
 * - `seq` counts the publisher's messages (10 digits starting at 1000000000, still an integer).
 */

export const STAMP_DIGITS = 13;
export const SEQ_DIGITS = 10;
export const SEQ_BASE = 1_000_000_000;
export const CURVE_POINTS = 400;
/** Where the send time starts in every payload: `{"spotId":"pNNN-` is 16 bytes. */
export const STAMP_AT = 16;

export interface WeldPayload {
  bytes: Buffer;
  /** Offset in the payload of the send time's first digit. */
  stampAt: number;
  /** Offset in the payload of seq's first digit. */
  seqAt: number;
}

export function weldPayload(publisher: number): WeldPayload {
  // A current curve like a resistance spot weld: a ramp, a plateau with ripple, a decay.
  const curve = Array.from({ length: CURVE_POINTS }, (_, i) => {
    const t = i / CURVE_POINTS;
    const envelope = t < 0.1 ? t / 0.1 : t > 0.85 ? (1 - t) / 0.15 : 1;
    return (9500 * envelope + 180 * Math.sin(i / 3) + publisher).toFixed(4);
  });
  const stamp = "0".repeat(STAMP_DIGITS);
  const json =
    `{"spotId":"p${String(publisher).padStart(3, "0")}-${stamp}","seq":${SEQ_BASE},` +
    `"time":"2026-11-22T10:00:00.000Z","currentKA":9.5,"weldTimeMs":300,"curve":[${curve.join(",")}]}`;
  const bytes = Buffer.from(json, "utf8");
  if (json.indexOf(stamp) !== STAMP_AT) throw new Error("weld payload layout changed: update STAMP_AT");
  return {
    bytes,
    stampAt: STAMP_AT,
    seqAt: json.indexOf(String(SEQ_BASE)),
  };
}
