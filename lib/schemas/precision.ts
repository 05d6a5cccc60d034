import { z } from 'zod';

import { PRECISIONS } from './names';

/**
 * The arithmetic a network runs in: 'fp32', or 'bf16' / 'fp16' as PyTorch's autocast runs them
 * (convolutions and matrix products in the low precision, reductions and the weights in float32).
 */
export const PrecisionSchema = z.enum(PRECISIONS);

export type Precision = z.infer<typeof PrecisionSchema>;
