import type * as Native from './native';

/**
 * The addon, loaded on first call rather than at import. Schemas and configs reach native code only
 * through this, for what only native code knows (the class of a Tensor, a preset's image-size rule), so
 * that they import and validate without libtorch.
 */
export function lazyNative(): Native.NativeBinding {
  // A static import would load libtorch whenever a schema is imported.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./native') as typeof Native).native;
}
