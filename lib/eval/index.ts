import { denoiseStudy } from './denoise-study';
import { digitConfidence } from './digit-confidence';
import { efficiency } from './efficiency';
import { fid, loadExtractor } from './fid';
import { fidSpread } from './fid-spread';
import { fidSteps } from './fid-steps';
import { featureStats, frechetDistance, loadFeatureStats, lpips, psnr, saveFeatureStats, ssim } from './metrics';
import { optimalSteps } from './optimal-steps';

/** Evaluation: image metrics, FID, LPIPS, and the paper's FID-against-steps table, denoising study and efficiency table. */
export const evaluation = {
  ssim,
  psnr,
  lpips,
  fid,
  fidSteps,
  fidSpread,
  optimalSteps,
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
  StudyTrace,
} from './denoise-study';
export type { DigitConfidence, DigitConfidenceOptions } from './digit-confidence';
export type { EfficiencyEntry, EfficiencyOptions, EfficiencyRow } from './efficiency';
export type { Extractor, ExtractorInput, FidOptions, FidResult } from './fid';
export type { FidSpreadCell, FidSpreadOptions, Spread } from './fid-spread';
export type { FidStepsDenoiser, FidStepsOptions, FidStepsProgress, FidStepsResult, FidStepsRow } from './fid-steps';
export type { OptimalSteps, StepsPoint } from './optimal-steps';
export type { FeatureStats, FeatureStatsOptions, ImageMetricOptions, LpipsOptions } from './metrics';
