// A type the native layer and the public API share, kept apart from both so neither imports the other.

/** One reverse step of a denoise trace, its images of tensor type T (the native layer's, or Tensor). */
export interface DenoiseStepOf<T> {
  /** The diffusion step reached (0 last). */
  t: number;
  /** Of this step's result x_{t_prev}, against the clean image. */
  mse: number;
  psnr: number;
  /** Of the clean image this step predicted (x0-hat, clipped as the update used it), against the clean image. */
  predictedMse: number;
  predictedPsnr: number;
  /** Seconds since the reverse process started (metrics included). */
  seconds: number;
  /** x_{t_prev}, with `trace: 'images'`. */
  image?: T;
  /** x0-hat, with `trace: 'images'`. */
  predicted?: T;
}
