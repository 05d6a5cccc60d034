export type { Device } from './device';
export { MissingUError } from './errors';
export { jit, type JitLoadOptions, type ScriptModule } from './jit';
export { info, setNumThreads, type Info } from './runtime';
export { Tensor, tensor, type DType, type TensorOptions } from './tensor';
