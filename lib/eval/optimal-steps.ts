/** What the optimal-steps rule reads of a row. */
export interface StepsPoint {
  denoiser: string;
  steps: number;
  fid: number;
  secondsPerSample: number;
}

/** The paper's "optimal sampling time" of one denoiser. */
export interface OptimalSteps {
  denoiser: string;
  /** The fewest steps whose FID is within the tolerance of the denoiser's best. */
  steps: number;
  fid: number;
  secondsPerSample: number;
  /** The denoiser's best (lowest) FID over all its rows. */
  bestFid: number;
}

/** FIDs within 5% of the best count as reaching it. */
export const OPTIMAL_FID_TOLERANCE = 0.05;

/**
 * Per denoiser (in the order they first appear): the fewest steps whose FID is at most
 * best + tolerance * |best| (fid <= 1.05 * best for the usual positive FIDs), with that row's FID and
 * seconds per sample. Among rows of equal steps the lower FID wins, then the earlier row. Rows whose
 * FID is not finite never count; a denoiser with no finite FID has no entry.
 */
export function optimalSteps<R extends StepsPoint>(
  rows: readonly R[],
  tolerance = OPTIMAL_FID_TOLERANCE,
): OptimalSteps[] {
  const byDenoiser = new Map<string, R[]>();
  for (const row of rows) {
    if (!Number.isFinite(row.fid)) continue;
    byDenoiser.set(row.denoiser, [...(byDenoiser.get(row.denoiser) ?? []), row]);
  }
  return [...byDenoiser].map(([denoiser, own]) => {
    const bestFid = Math.min(...own.map((r) => r.fid));
    const limit = bestFid + tolerance * Math.abs(bestFid);
    const pick = own
      .filter((r) => r.fid <= limit)
      .reduce((a, b) => (b.steps < a.steps || (b.steps === a.steps && b.fid < a.fid) ? b : a));
    return { denoiser, steps: pick.steps, fid: pick.fid, secondsPerSample: pick.secondsPerSample, bestFid };
  });
}
