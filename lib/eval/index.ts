import { denoiseStudy } from './denoise-study';
import { digitConfidence } from './digit-confidence';
import { efficiency } from './efficiency';
import { fid, loadExtractor } from './fid';
import { featureStats, frechetDistance, loadFeatureStats, lpips, psnr, saveFeatureStats, ssim } from './metrics';

/** Evaluation: image metrics, FID, LPIPS, and the paper's denoising study and efficiency table. */
export const evaluation = {
  ssim,
  psnr,
  lpips,
  fid,
  loadExtractor,
  featureStats,
  frechetDistance,
  saveFeatureStats,
  loadFeatureStats,
  denoiseStudy,
  efficiency,
  digitConfidence,
};

export type {
  BaselineRow,
  DenoiseStudy,
  DenoiseStudyOptions,
  StudyCurvePoint,
  StudyDenoiser,
  StudyRow,
} from './denoise-study';
export type { DigitConfidence, DigitConfidenceOptions } from './digit-confidence';
export type { EfficiencyEntry, EfficiencyOptions, EfficiencyRow } from './efficiency';
export type { Extractor, ExtractorInput, FidOptions, FidResult } from './fid';
export type { FeatureStats } from './metrics';
