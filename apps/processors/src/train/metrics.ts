/** Evaluation metrics, measured on held-out data only. */

/** Area under the ROC curve (Mann-Whitney U with average ranks for ties); labels true = positive. */
export function rocAuc(scores: ArrayLike<number>, labels: readonly boolean[]): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!]) {
        rankSumPos += rank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at]!;
}

export interface DetectionMetrics {
  rocAuc: number;
  recall: number;
  falseAlarmRate: number;
  positives: number;
  negatives: number;
}

export function detection(
  scores: ArrayLike<number>,
  labels: readonly boolean[],
  threshold: number,
): DetectionMetrics {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const flagged = scores[i]! > threshold;
    if (labels[i]) {
      pos++;
      if (flagged) tp++;
    } else if (flagged) fp++;
  }
  const neg = labels.length - pos;
  return {
    rocAuc: round(rocAuc(scores, labels)),
    recall: round(pos ? tp / pos : Number.NaN),
    falseAlarmRate: round(neg ? fp / neg : Number.NaN),
    positives: pos,
    negatives: neg,
  };
}

export function meanAbsoluteError(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(predicted[i]! - actual[i]!);
  return round(s / actual.length);
}

export function round(v: number, digits = 4): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}
