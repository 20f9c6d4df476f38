/**
 * What one model version did: spots scored, failures, model time, agreement with the live version
 * (for canaries and shadows) and online accuracy once the delayed ground truth arrives.
 */
export interface VersionStats {
  scored(): void;
  failed(): void;
  run(ms: number, spots: number, error?: string): void;
  compared(disagree: boolean): void;
  truth(t: { absError?: number; flagged?: boolean; faulty?: boolean }): void;
  snapshot(): {
    name: string;
    version: string;
    spots: number;
    errors: number;
    msPerSpot: number;
    compared: number;
    disagreement: number;
    accuracy: { truths: number; mae?: number; recall?: number; falseAlarmRate?: number };
  };
}

export function createVersionStats(name: string, version: string): VersionStats {
  let spots = 0;
  let errors = 0;
  let ms = 0;
  let runSpots = 0;
  let compared = 0;
  let disagreed = 0;
  let truths = 0;
  let absError = 0;
  let regressionTruths = 0;
  const confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  return {
    scored: () => void spots++,
    failed: () => void errors++,
    run(runMs, n, error) {
      ms += runMs;
      runSpots += n;
      if (error) errors += n;
    },
    compared(disagree) {
      compared++;
      if (disagree) disagreed++;
    },
    truth(t) {
      truths++;
      if (t.absError !== undefined) {
        absError += t.absError;
        regressionTruths++;
      }
      if (t.flagged !== undefined && t.faulty !== undefined) {
        if (t.faulty) confusion[t.flagged ? "tp" : "fn"]++;
        else confusion[t.flagged ? "fp" : "tn"]++;
      }
    },
    snapshot() {
      const pos = confusion.tp + confusion.fn;
      const neg = confusion.fp + confusion.tn;
      return {
        name,
        version,
        spots,
        errors,
        msPerSpot: runSpots ? ms / runSpots : 0,
        compared,
        disagreement: compared ? disagreed / compared : 0,
        accuracy: {
          truths,
          ...(regressionTruths ? { mae: absError / regressionTruths } : {}),
          ...(pos ? { recall: confusion.tp / pos } : {}),
          ...(neg ? { falseAlarmRate: confusion.fp / neg } : {}),
        },
      };
    },
  };
}
