import { z } from 'zod';

/**
 * The arithmetic a network runs in: 'fp32', or 'bf16' / 'fp16' as PyTorch's autocast runs them
 * (convolutions and matrix products in the low precision, reductions and the weights in float32).
 */
export const PrecisionSchema = z.enum(['fp32', 'bf16', 'fp16']);

export type Precision = z.infer<typeof PrecisionSchema>;
