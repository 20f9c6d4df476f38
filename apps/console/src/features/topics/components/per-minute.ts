import { formatCount } from "../../../lib/format";

/** Average messages per minute over the window. */
export function perMinute(n: number, seconds: number): string {
  const v = (n / seconds) * 60;
  if (v === 0) return "0/min";
  if (v < 0.1) return "<0.1/min";
  return `${v < 10 ? v.toFixed(1) : formatCount(Math.round(v))}/min`;
}
