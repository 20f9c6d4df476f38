import type { Judgement } from "../outcome-record.js";

/** Step 5, size: a payload over the limit is not handed to a validator (kind `too-large`). */
export function sizeJudgement(bytes: number, maxPayloadBytes: number): Judgement | null {
  if (bytes <= maxPayloadBytes) return null;
  return {
    outcome: "invalid",
    kind: "too-large",
    errors: [
      {
        instancePath: "",
        keyword: "maxPayloadBytes",
        message: `payload is ${bytes} bytes; at most ${maxPayloadBytes} are accepted for validation`,
      },
    ],
  };
}
