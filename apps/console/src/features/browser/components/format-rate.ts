/** Messages per second now, short: "0/s", "0.4/s", "12/s", "1.2k/s". */
export function formatRate(perSecond: number): string {
  if (perSecond <= 0) return "0/s";
  if (perSecond < 10) return `${perSecond.toFixed(1).replace(/\.0$/, "")}/s`;
  if (perSecond < 1000) return `${Math.round(perSecond)}/s`;
  return `${(perSecond / 1000).toFixed(1)}k/s`;
}
