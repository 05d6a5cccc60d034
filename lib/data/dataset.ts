/** Images in memory as one (N, C, H, W) float32 block in [-1, 1], ready to hand to native code. */
export interface ImageDataset {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: [number, number, number, number];
  /** Class labels where the source has them. */
  readonly labels?: Uint8Array;
}

/**
 * A prepared dataset's images on disk (`missing-u data prepare`): `file` holds N x C x H x W uint8 pixels,
 * which training reads batch by batch, so memory does not grow with N.
 */
export interface PreparedImageFile {
  readonly name: string;
  readonly file: string;
  readonly shape: [number, number, number, number];
}

/** What a run trains on, and whether it mirrors its draws at random. */
export interface TrainingImages {
  readonly images: ImageDataset | PreparedImageFile;
  readonly horizontalFlip: boolean;
}
