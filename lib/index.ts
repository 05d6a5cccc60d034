export type { Device } from './device';
export { MissingUError } from './errors';
export { jit, type JitLoadOptions, type ScriptModule } from './jit';
export { memory, type MemoryStats } from './memory';
export { models, type Denoiser, type FlopCount, type ModelOptions, type ModelPreset } from './models';
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
export { Tensor, tensor, type DType, type TensorOptions } from './tensor';
