import path from 'node:path';

import type Sharp from 'sharp';

import { MissingUError } from '../errors';

/** The encodings an image file may be written in, chosen by its extension. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

const FORMAT_OF_EXTENSION: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

/** The extensions an image file may have: .png, .jpg, .jpeg and .webp. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.keys(FORMAT_OF_EXTENSION);

/**
 * The format an image written to `file` is encoded in, from its extension (case-insensitive); any
 * other extension is a MissingUError naming it and the accepted ones, so that a caller can refuse
 * the file before doing any work.
 */
export function imageFormatFor(file: string): ImageFormat {
  const extension = path.extname(file);
  const format = FORMAT_OF_EXTENSION[extension.toLowerCase()];
  if (format) return format;
  const accepted = `${IMAGE_EXTENSIONS.slice(0, -1).join(', ')} or ${IMAGE_EXTENSIONS.at(-1)}`;
  throw new MissingUError(
    extension
      ? `cannot write an image as '${extension}' (${file}): give a file ending in ${accepted}`
      : `cannot write an image to ${file}, which has no extension: give a file ending in ${accepted}`,
  );
}

/** Ends a sharp pipeline with the encoder of `format`. */
export function encodeAs(image: Sharp.Sharp, format: ImageFormat): Sharp.Sharp {
  if (format === 'jpeg') return image.jpeg({ quality: 95 });
  if (format === 'webp') return image.webp({ lossless: true });
  return image.png();
}
