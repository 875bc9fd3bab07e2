// Qwen3: Llama's maths with an RMSNorm over each head's d_head of the queries and keys (q_norm,
// k_norm) before rotary, an explicit head_dim, and no q/k/v biases unless the weights hold them.
import { llamaStyle } from './llama';

export const qwen3 = llamaStyle({ name: 'qwen3', label: 'Qwen3', modelTypes: ['qwen3'], fused: false, headNorms: true });
