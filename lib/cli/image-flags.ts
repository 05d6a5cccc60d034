import { MissingUError } from '../errors';
import { imageFormatFor } from '../report/image-format';

/** A commander parser for an image file option: its extension must be one imageFormatFor accepts. */
export const imageFile = (name: string) => (v: string) => {
  try {
    imageFormatFor(v);
  } catch (err) {
    throw new MissingUError(`${name}: ${(err as MissingUError).message}`);
  }
  return v;
};
