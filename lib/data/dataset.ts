/** Images in memory as one (N, C, H, W) float32 block in [-1, 1], ready to hand to native code. */
export interface ImageDataset {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: [number, number, number, number];
  /** Class labels where the source has them. */
  readonly labels?: Uint8Array;
}
