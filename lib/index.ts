export type { ImageDataset } from './data/dataset';
export type { DataSectionInput } from './schemas/data-options';
export { loadImageFolder, type ImageFolderOptions } from './data/image-folder';
export type { CorruptImageAction } from './schemas/names';
export { loadMnistIdx, loadMnistIdxAsync } from './data/mnist-idx';
export { loadMnistPackage, loadMnistPackageAsync } from './data/mnist-package';
export {
  data,
  PREPARED_FORMAT,
  type CacheableData,
  type CacheOptions,
  type DrawBatchOptions,
  type PreparedDataset,
  type PreparedManifest,
  type PrepareOptions,
  type PrepareProgress,
  type PrepareResult,
  type PrepareSettings,
  type PrepareSource,
  type ResizeRule,
  type SkippedImage,
  type SourceKind,
} from './data/prepared';
export type { Device } from './device';
export {
  DEFAULT_FLOW_ODE,
  DEFAULT_REVERSE,
  denoise,
  disposeStepImages,
  lossWeights,
  noiseSchedule,
  qSample,
  randn,
  resolveDiffusion,
  resolveReverse,
  sample,
  sampleBatches,
  trainingTarget,
  type DenoiseOptions,
  type DenoiseStep,
  type DenoiseTrace,
  type DiffusionOptions,
  type DiffusionSettings,
  type FlowOdeSettings,
  type GivenReverse,
  type LossWeightOptions,
  type OwnReverse,
  type Objective,
  type ReverseOptions,
  type ReverseProgress,
  type ReverseSettings,
  type SampleBatch,
  type SampleOptions,
  type Sampler,
  type Schedule,
  type Spacing,
  type StepSettings,
  SAMPLERS,
  SPACINGS,
} from './diffusion';
export { Generator } from './generator';
export { Scheduler, type SchedulerOptions, type StepOptions, type StepOutput } from './scheduler';
export { distributedAvailable, distributedFromEnv, type DistributedOptions } from './distributed';
export { MissingUError, type MissingUErrorCode, type MissingUErrorOptions } from './errors';
export { diffusionFileFor, jit, type JitLoadOptions, type ScriptModule } from './jit';
export { memory, type MemoryStats } from './memory';
export {
  models,
  type Denoiser,
  type FlopCount,
  type ModelOptions,
  type ModelPreset,
  type SampleSection,
} from './models';
export {
  ode,
  type FirstOrderSolution,
  type OdeMethod,
  type OdeStats,
  type SecondOrderSolution,
  type SolveFirstOrderOptions,
  type SolveOptions,
  type VjpOptions,
  type VjpResult,
} from './ode';
export { info, setNumThreads, type Info } from './runtime';
export type { Precision } from './schemas/precision';
export { DTYPES, Tensor, tensor, type DType, type TensorData, type TensorOptions } from './tensor';
export {
  disposeTrainerState,
  train,
  type TrainRunOptions,
  type StoredTrainerState,
  type TrainSnapshot,
  type ResumeFrom,
  type TrainConfig,
  type TrainerState,
  type TrainProgress,
  type TrainResult,
} from './train';
export {
  loadCheckpoint,
  loadCheckpointAsync,
  loadCheckpointEma,
  loadTrainerState,
  saveCheckpoint,
  type CheckpointParts,
  type CheckpointState,
  type LoadedCheckpoint,
  type LoadedEma,
  type SaveCheckpointOptions,
  type Weights,
} from './checkpoint/checkpoint';
export { CHECKPOINT_FORMAT, findCheckpoint, isCheckpointFolder } from './checkpoint/folder';
export {
  importOfficial,
  type ImportedOfficial,
  type ImportOfficialOptions,
  type OfficialPreset,
} from './interop/import-official';
export { readSafetensors, readSafetensorsAsync, writeSafetensors, type StoredTensor } from './io/safetensors';
export { IMAGE_EXTENSIONS, imageFormatFor, type ImageFormat } from './report/image-format';
export { ImageGrid, writeImageGrid, type GridLayout, type ImageGridOptions } from './report/image-grid';
export { loadTrainConfig, parseTrainConfig, type TrainConfigJson } from './config/train-config';
/** The evaluation functions; `eval` is the same object for CommonJS users (under ESM, `eval` cannot be imported by name). */
export { evaluation, evaluation as eval } from './eval';
export type {
  BaselineRow,
  DenoiseStudy,
  DenoiseStudyOptions,
  DigitConfidence,
  DigitConfidenceOptions,
  EfficiencyEntry,
  EfficiencyOptions,
  EfficiencyRow,
  Extractor,
  ExtractorInput,
  FeatureStats,
  FeatureStatsOptions,
  FidOptions,
  FidResult,
  FidSpreadCell,
  FidSpreadOptions,
  FidStepsDenoiser,
  FidStepsOptions,
  FidStepsProgress,
  FidStepsResult,
  FidStepsRow,
  ImageMetricOptions,
  LpipsOptions,
  OptimalSteps,
  Spread,
  StepsPoint,
  StudyCurvePoint,
  StudyDenoiser,
  StudyRow,
  StudyTrace,
} from './eval';
