import type { FeatureStats } from '../../lib';

/** One-dimensional statistics of two images labelled with `extractor`: enough for a call that fails before FID. */
export function placeholderStats(extractor: string): FeatureStats {
  return { count: 2, dim: 1, mean: new Float64Array(1), covariance: new Float64Array(1), extractor };
}
